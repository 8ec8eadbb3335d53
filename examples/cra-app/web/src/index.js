/*! cra-app-web | MIT License */
// The app: shows where the API is. process.env.REACT_APP_* are replaced at build time, as CRA does.
const api = process.env.REACT_APP_REST_API_BASE_URL;
const ws = process.env.REACT_APP_WS_BASE_URL;
document.getElementById('root').textContent = `API ${api} (${ws})`;
