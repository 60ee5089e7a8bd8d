// The plan page's map: the base and every route's stops in order, each route in its colour.
// Reads the stops from the page (li[data-stop]); the lists work without it.

const element = document.querySelector('[data-plan-map]');
if (element && window.L) draw(element, window.L);

function marker(L, className, text, point, wrapperClass = '') {
  const html = document.createElement('span');
  html.className = className;
  html.textContent = text;
  const icon = L.divIcon({ className: wrapperClass, html, iconSize: [28, 28] });
  return L.marker(point, { icon });
}

function draw(element, L) {
  element.hidden = false;
  const base = [Number(element.dataset.baseLat), Number(element.dataset.baseLon)];
  const map = L.map(element);
  if (element.dataset.tileUrl) { // empty: no external services, and no tile server of our own
    L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.attribution, maxZoom: 18 }).addTo(map);
  }

  const routes = new Map();
  document.querySelectorAll('li[data-stop]').forEach((li) => {
    if (li.dataset.lat === '' || li.dataset.lon === '') return;
    const route = Number(li.dataset.route);
    if (!routes.has(route)) routes.set(route, []);
    routes.get(route).push({
      point: [Number(li.dataset.lat), Number(li.dataset.lon)],
      n: li.dataset.n,
      label: `${li.dataset.n}. ${li.dataset.time} ${li.dataset.name}`,
    });
  });

  // A trip's day runs from the night before's base to its night's (article[data-from]).
  const ends = new Map();
  document.querySelectorAll('[data-route-ends]').forEach((article) => {
    const d = article.dataset;
    ends.set(Number(d.routeEnds), {
      from: [Number(d.fromLat), Number(d.fromLon)],
      to: [Number(d.toLat), Number(d.toLon)],
      toName: d.toName,
    });
  });

  const bounds = [base];
  const baseLabel = document.createElement('span');
  baseLabel.textContent = element.dataset.baseName;
  marker(L, 'base-marker', 'B', base).bindTooltip(baseLabel).addTo(map);
  const nights = new Set();
  ends.forEach(({ to, toName }) => {
    const key = to.join(',');
    if (nights.has(key) || (to[0] === base[0] && to[1] === base[1])) return;
    nights.add(key);
    const label = document.createElement('span');
    label.textContent = toName;
    marker(L, 'base-marker night-marker', 'N', to).bindTooltip(label).addTo(map);
    bounds.push(to);
  });
  routes.forEach((stops, route) => {
    const colour = `route-${route % 6}`;
    const trip = ends.get(route);
    const line = [trip ? trip.from : base, ...stops.map((s) => s.point), trip ? trip.to : base];
    L.polyline(line, { className: `route-line-${route % 6}`, weight: 4, opacity: 0.8 }).addTo(map);
    stops.forEach((stop) => {
      const label = document.createElement('span');
      label.textContent = stop.label;
      marker(L, 'stop-marker', stop.n, stop.point, colour).bindTooltip(label).addTo(map);
      bounds.push(stop.point);
    });
  });
  // The clinics left out of the plan, in their status colour (the legend names them).
  document.querySelectorAll('li[data-left-out]').forEach((li) => {
    const point = [Number(li.dataset.lat), Number(li.dataset.lon)];
    const label = document.createElement('span');
    label.textContent = li.dataset.name;
    L.circleMarker(point, { radius: 6, className: `clinic-dot clinic-dot-${li.dataset.status}` })
      .bindTooltip(label).addTo(map);
  });
  map.fitBounds(L.latLngBounds(bounds), { padding: [24, 24], maxZoom: 14 });
}
