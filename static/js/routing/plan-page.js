// The plan page comes back where it was after a stop's button (up, down, take off, move to
// another route): the form posts and its redirect would otherwise show the route's heading,
// or the top of the page. Without JavaScript the redirect's #route-N anchor is used.

const KEY = 'routing-scroll';

function restore() {
  const saved = sessionStorage.getItem(KEY);
  if (!saved) return;
  let place = null;
  try {
    place = JSON.parse(saved);
  } catch {
    place = null;
  }
  if (!place || place.path !== window.location.pathname) {
    sessionStorage.removeItem(KEY);
    return;
  }
  const scroll = () => window.scrollTo(0, place.y);
  scroll();
  // Again once the page is laid out, after the browser's own jump to the #anchor.
  window.addEventListener('load', () => {
    scroll();
    sessionStorage.removeItem(KEY);
  }, { once: true });
}

document.querySelectorAll('form.stop-tools').forEach((form) => {
  form.addEventListener('submit', () => {
    sessionStorage.setItem(KEY, JSON.stringify({ path: window.location.pathname, y: window.scrollY }));
  });
});
restore();
