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

  const bounds = [base];
  const baseLabel = document.createElement('span');
  baseLabel.textContent = element.dataset.baseName;
  marker(L, 'base-marker', 'B', base).bindTooltip(baseLabel).addTo(map);
  routes.forEach((stops, route) => {
    const colour = `route-${route % 6}`;
    const line = [base, ...stops.map((s) => s.point), base];
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
