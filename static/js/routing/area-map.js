// The planning form's map: the organisation's clinics, and a rectangle or polygon drawn on it
// that is written as JSON [[lat, lon], ...] into the form's hidden "area" field. The map is
// behind a <details>: Leaflet and the clinics are loaded when it is first opened, not with the
// page. Without JavaScript (or without Leaflet) the ticked regions are used.

const picker = document.querySelector('[data-area-picker]');
if (picker) {
  let started = false;
  const start = () => {
    if (started || !picker.open) return;
    started = true;
    loadLeaflet(picker).then((L) => setUp(picker, L)).catch((error) => console.error(error));
  };
  picker.addEventListener('toggle', start);
  start();
}

function load(element) {
  return new Promise((resolve, reject) => {
    element.addEventListener('load', resolve);
    element.addEventListener('error', () => reject(new Error(`could not load ${element.src || element.href}`)));
    document.head.append(element);
  });
}

async function loadLeaflet(picker) {
  if (window.L) return window.L;
  const css = Object.assign(document.createElement('link'), { rel: 'stylesheet', href: picker.dataset.leafletCss });
  const script = Object.assign(document.createElement('script'), { src: picker.dataset.leafletJs });
  await Promise.all([load(css), load(script)]);
  return window.L;
}

function setUp(picker, L) {
  const input = picker.closest('form').querySelector('input[name="area"]');
  const status = picker.querySelector('[data-area-status]');
  const buttons = {};
  picker.querySelectorAll('[data-draw]').forEach((b) => { buttons[b.dataset.draw] = b; });

  const map = L.map(picker.querySelector('[data-area-map]')).setView([56.0, 10.6], 7);
  if (picker.dataset.tileUrl) { // empty: no external services, and no tile server of our own
    L.tileLayer(picker.dataset.tileUrl, {
      attribution: picker.dataset.attribution, maxZoom: 18,
    }).addTo(map);
  }

  let clinics = [];
  let area = readArea(input.value);
  let mode = null;
  let corners = [];
  const clinicLayer = L.layerGroup().addTo(map);
  const shapeLayer = L.layerGroup().addTo(map);

  function readArea(text) {
    try {
      const value = JSON.parse(text || 'null');
      return Array.isArray(value) && value.length >= 3 ? value : null;
    } catch {
      return null;
    }
  }

  function inside([lat, lon], polygon) {
    let result = false;
    for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
      const [latI, lonI] = polygon[i];
      const [latJ, lonJ] = polygon[j];
      if ((lonI > lon) !== (lonJ > lon)
          && lat < latI + ((lon - lonI) / (lonJ - lonI)) * (latJ - latI)) {
        result = !result;
      }
    }
    return result;
  }

  function setMode(next) {
    mode = next;
    corners = [];
    buttons.rectangle.setAttribute('aria-pressed', String(mode === 'rectangle'));
    buttons.polygon.setAttribute('aria-pressed', String(mode === 'polygon'));
    buttons.finish.hidden = mode !== 'polygon';
    picker.classList.toggle('drawing', mode !== null);
    render();
  }

  function render() {
    shapeLayer.clearLayers();
    const shape = mode ? corners : area;
    if (shape && shape.length >= 2) {
      const options = { className: 'area-shape', weight: 2, fillOpacity: 0.12 };
      shapeLayer.addLayer(shape.length >= 3 ? L.polygon(shape, options) : L.polyline(shape, options));
    }
    corners.forEach((c) => shapeLayer.addLayer(L.circleMarker(c, { radius: 4, className: 'area-shape' })));
    input.value = area ? JSON.stringify(area) : '';
    if (mode === 'rectangle') {
      status.textContent = picker.dataset.msgRectangle;
    } else if (mode === 'polygon') {
      status.textContent = picker.dataset.msgDrawing;
    } else if (area) {
      const count = clinics.filter((c) => inside([c.lat, c.lon], area)).length;
      status.textContent = picker.dataset.msgCount.replace('{n}', String(count));
    } else {
      status.textContent = picker.dataset.msgNone;
    }
  }

  map.on('click', (event) => {
    if (!mode) return;
    const point = [Number(event.latlng.lat.toFixed(6)), Number(event.latlng.lng.toFixed(6))];
    corners.push(point);
    if (mode === 'rectangle' && corners.length === 2) {
      const [[lat1, lon1], [lat2, lon2]] = corners;
      area = [[lat1, lon1], [lat1, lon2], [lat2, lon2], [lat2, lon1]];
      setMode(null);
      return;
    }
    render();
  });

  buttons.rectangle.addEventListener('click', () => setMode(mode === 'rectangle' ? null : 'rectangle'));
  buttons.polygon.addEventListener('click', () => setMode(mode === 'polygon' ? null : 'polygon'));
  buttons.finish.addEventListener('click', () => {
    if (corners.length >= 3) area = corners.slice();
    setMode(null);
  });
  buttons.clear.addEventListener('click', () => {
    area = null;
    setMode(null);
  });

  fetch(picker.dataset.clinicsUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((response) => (response.ok ? response.json() : { items: [] }))
    .then((data) => {
      clinics = (data.items || []).filter((c) => c.lat !== null && c.lon !== null && c.status !== 'closed');
      clinics.forEach((c) => {
        const label = document.createElement('span');
        label.textContent = c.name;
        const marker = L.circleMarker([c.lat, c.lon], { radius: 5, className: `clinic-dot clinic-dot-${c.status}` });
        clinicLayer.addLayer(marker.bindTooltip(label));
      });
      const focus = area || clinics.map((c) => [c.lat, c.lon]);
      if (focus.length) map.fitBounds(L.latLngBounds(focus), { padding: [20, 20], maxZoom: 13 });
      render();
    })
    .catch(() => render());
  render();
}
