// The clinic list's map: the filtered clinics as circle markers, loaded from markers.json.
// Leaflet (vendored, static/vendor/leaflet) is loaded only when the map is first shown, so a
// phone that never opens the map never downloads it or any tiles.

const WIDE = window.matchMedia("(min-width: 1000px)");

function loadLeaflet(src) {
  if (window.L) return Promise.resolve(window.L);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = () => (window.L ? resolve(window.L) : reject(new Error("Leaflet missing")));
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

function fill(template, n) {
  return template.replace("{n}", String(n));
}

function textLabel(text) {
  // Leaflet parses a string as HTML; a clinic name is user data, so it goes in as text.
  const label = document.createElement("span");
  label.textContent = text;
  return label;
}

function popupContent(marker, openText) {
  // Built from text nodes: clinic names are user data and never parsed as HTML.
  const box = document.createElement("div");
  const link = document.createElement("a");
  link.href = marker.url;
  link.textContent = marker.name;
  const meta = document.createElement("span");
  meta.className = "popup-meta";
  meta.textContent = `${marker.kind_label} · ${marker.status_label}`;
  const open = document.createElement("a");
  open.href = marker.url;
  open.textContent = openText;
  box.append(link, meta, open);
  return box;
}

async function fetchMarkers(url) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) throw new Error(`markers: HTTP ${response.status}`);
  return response.json();
}

async function draw(element, caption) {
  const text = element.dataset;
  const [L, data] = await Promise.all([
    loadLeaflet(element.dataset.leafletSrc),
    fetchMarkers(element.dataset.markersUrl),
  ]);
  const map = L.map(element, { scrollWheelZoom: false }).setView([56.0, 10.5], 6);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, {
      maxZoom: 19,
      attribution: element.dataset.tileAttribution || "",
    }).addTo(map);
  }
  const layer = L.featureGroup();
  for (const marker of data.markers) {
    L.circleMarker([marker.lat, marker.lon], {
      radius: 6,
      // Colours come from static/css/clinics.css through these classes.
      className: `clinic-marker clinic-marker-${marker.status}`,
    })
      .bindPopup(() => popupContent(marker, text.textOpen))
      .bindTooltip(textLabel(marker.name))
      .addTo(layer);
  }
  layer.addTo(map);
  if (data.markers.length) {
    map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 14 });
  }
  element.dataset.markerCount = String(data.markers.length);
  const lines = [fill(text.textShown, data.markers.length)];
  if (data.without_coordinates) lines.push(fill(text.textWithout, data.without_coordinates));
  if (data.truncated) lines.push(fill(text.textTruncated, data.markers.length));
  caption.textContent = lines.join(" ");
  return map;
}

function init() {
  const element = document.getElementById("clinic-map");
  if (!element) return;
  const toggle = document.querySelector(".map-toggle");
  const caption = document.querySelector("[data-map-caption]");
  let map = null;
  let drawing = null;

  function show() {
    element.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    toggle.textContent = toggle.dataset.hide;
    if (!drawing) {
      element.setAttribute("aria-busy", "true");
      drawing = draw(element, caption)
        .then((m) => {
          map = m;
        })
        .catch(() => {
          caption.textContent = element.dataset.textFailed;
          element.dataset.markerCount = "error";
        })
        .finally(() => element.removeAttribute("aria-busy"));
    } else if (map) {
      map.invalidateSize(); // it was laid out while hidden
    }
  }

  function hide() {
    element.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    toggle.textContent = toggle.dataset.show;
  }

  toggle.addEventListener("click", () => (element.hidden ? show() : hide()));
  toggle.hidden = false;
  if (WIDE.matches) show();
  WIDE.addEventListener("change", (event) => {
    if (event.matches) show();
  });
}

init();
