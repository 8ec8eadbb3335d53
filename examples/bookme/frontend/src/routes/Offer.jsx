import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { apiBaseUrl } from '../config.js';

export default function Offer() {
  const { id } = useParams();
  const [offer, setOffer] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    let cancelled = false;
    setOffer(null);
    setError(null);
    fetch(`${apiBaseUrl}/offers/${encodeURIComponent(id)}/`, { credentials: 'include' })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((body) => !cancelled && setOffer(body))
      .catch((e) => !cancelled && setError(e.message));
    return () => {
      cancelled = true;
    };
  }, [id]);

  return (
    <section>
      <h1>Offer {id}</h1>
      {error && <p className="error">Could not load the offer: {error}</p>}
      {offer && (
        <article>
          <h2>{offer.title}</h2>
          {offer.image && <img src={offer.image.url} alt={offer.title} />}
        </article>
      )}
      <Link to="/">Back to all offers</Link>
    </section>
  );
}
