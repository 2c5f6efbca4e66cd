/* Incident map: markers from the page's JSON endpoint on a Leaflet map (vendored, no CDN).
 * Tiles are drawn only when the operator configured a tile URL; otherwise the markers stand on a
 * blank background, so the page works with no internet. Every text from the server goes into
 * the page with textContent (never innerHTML): place names are user input. */
(function () {
  "use strict";

  var container = document.getElementById("incident-map");
  if (!container || typeof L === "undefined") {
    return;
  }
  var status = document.getElementById("incident-map-status");
  var data = container.dataset;

  function say(text) {
    if (status) {
      status.textContent = text || "";
    }
  }

  function escapeHtml(text) {
    // Leaflet writes attribution strings as HTML; the configured text is shown as text.
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function line(text, className) {
    var element = document.createElement("div");
    element.textContent = text;
    if (className) {
      element.className = className;
    }
    return element;
  }

  // The server writes the time the way it was entered ("about 09:30 ± 1 h"): app/intake/when.py.
  function when(marker) {
    return marker.when;
  }

  function popupFor(marker) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var link = document.createElement("a");
    link.textContent = marker.place_name;
    // Same-site paths only: the endpoint builds them, but never trust a scheme.
    if (typeof marker.url === "string" && marker.url.charAt(0) === "/" && marker.url.charAt(1) !== "/") {
      link.href = marker.url;
    }
    box.appendChild(link);
    box.appendChild(line(when(marker) + (marker.admin_area ? " · " + marker.admin_area : ""), "muted"));
    if (marker.weapon) {
      box.appendChild(line(marker.weapon));
    }
    var counts = [];
    if (marker.killed !== null) {
      counts.push(marker.killed + " " + data.labelKilled);
    }
    if (marker.injured !== null) {
      counts.push(marker.injured + " " + data.labelInjured);
    }
    if (marker.testimony_count) {
      counts.push(marker.testimony_count + " " + data.labelTestimony);
    }
    if (counts.length) {
      box.appendChild(line(counts.join(" · ")));
    }
    return box;
  }

  container.textContent = "";
  var map = L.map(container, { worldCopyJump: true, zoomSnap: 0.5 });
  map.attributionControl.setPrefix(false);
  L.control.scale().addTo(map);
  if (data.tilesUrl) {
    L.tileLayer(data.tilesUrl, {
      maxZoom: 18,
      attribution: data.tilesAttribution ? escapeHtml(data.tilesAttribution) : "",
    }).addTo(map);
  } else {
    container.classList.add("no-tiles");
  }
  map.setView([0, 0], 2);

  fetch(data.markersUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (payload) {
      var markers = payload.markers || [];
      if (!markers.length) {
        say(data.labelEmpty);
        return;
      }
      var bounds = [];
      markers.forEach(function (marker) {
        var point = [marker.lat, marker.lon];
        if (marker.precision_m) {
          // The uncertainty as a circle of the stated radius around the point.
          L.circle(point, { radius: marker.precision_m, weight: 1, className: "precision-circle" }).addTo(map);
        }
        L.circleMarker(point, { radius: 7, weight: 2, className: "incident-marker" })
          .bindPopup(popupFor(marker))
          .addTo(map);
        bounds.push(point);
      });
      map.invalidateSize();  // the container may have changed size since the map was made
      map.fitBounds(bounds, { padding: [32, 32], maxZoom: 14 });
      say("");
    })
    .catch(function () {
      say(data.labelError);
    });
})();
