// Build-time configuration. Vite replaces import.meta.env.VITE_* when `npm run build` runs,
// so the values are fixed inside the bundle: build once per environment.
export const apiBaseUrl = import.meta.env.VITE_API_BASE_URL || 'http://localhost:8000';
export const wsBaseUrl = import.meta.env.VITE_WS_BASE_URL || 'ws://localhost:8000';
