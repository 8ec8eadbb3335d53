import { Link, Outlet } from 'react-router';

export default function Layout() {
  return (
    <div className="page">
      <header>
        <Link to="/" className="brand">book_me</Link>
        <nav>
          <Link to="/offers/1">Offer 1</Link>
          <Link to="/offers/2">Offer 2</Link>
        </nav>
      </header>
      <main>
        <Outlet />
      </main>
    </div>
  );
}
