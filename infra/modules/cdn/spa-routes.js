// CloudFront Function (viewer request): client-side routes of the React app (/login,
// /bookings/42, ...) have no object in the bucket, so serve /index.html for any path whose last
// segment has no file extension. Assets (/assets/app.3f2a.js, /favicon.ico) pass through and a
// missing asset stays a real 404 — unlike a 404→index.html error page, which answers every deep
// link with status 404 first and hurts SEO.
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  var last = uri.substring(uri.lastIndexOf('/') + 1);
  if (last === '' || last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
