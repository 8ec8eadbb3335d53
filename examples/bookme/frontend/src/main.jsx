import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import Layout from './Layout.jsx';
import './styles.css';

// Route components are loaded lazily: each becomes its own hashed chunk in dist/assets/.
const router = createBrowserRouter([
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, lazy: () => import('./routes/Home.jsx').then((m) => ({ Component: m.default })) },
      { path: 'offers/:id', lazy: () => import('./routes/Offer.jsx').then((m) => ({ Component: m.default })) },
      { path: '*', lazy: () => import('./routes/NotFound.jsx').then((m) => ({ Component: m.default })) },
    ],
  },
]);

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <RouterProvider router={router} />
  </StrictMode>,
);
