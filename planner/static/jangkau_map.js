/* Jangkau map runtime (static; the planner never writes into this file).
 *
 * The page carries its data in one <script type="application/json"> block. This code reads it
 * with JSON.parse and builds every layer, tooltip, legend and tool with the DOM. Every string
 * that comes from the data is shown through textContent (or escaped for the one Leaflet API
 * that takes HTML, the layer control), so a name from an input file is always text: never
 * HTML, never script, never template.
 */
(function () {
  'use strict';

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  // A profile card: one "label: value" row per field that has a value.
  function card(props, fields, heading) {
    var box = el('div', 'jk-card');
    if (heading && props[heading]) { box.appendChild(el('div', 'jk-card-head', props[heading])); }
    fields.forEach(function (f) {
      var v = props[f[0]];
      if (v === undefined || v === null || v === '' || f[0] === heading) { return; }
      var row = el('div', 'jk-row');
      row.appendChild(el('span', 'jk-k', f[1]));
      row.appendChild(el('span', 'jk-v', v));
      box.appendChild(row);
    });
    return box;
  }

  function swatch(item) {
    var s = el('span', 'jk-sw jk-sw-' + (item.shape || 'box'));
    if (item.shape === 'line' || item.shape === 'dash') {
      s.style.borderTopColor = item.color;
    } else {
      s.style.background = item.color;
      if (item.border) { s.style.borderColor = item.border; }
    }
    if (item.shape === 'hatch') { s.style.background = ''; s.style.color = item.color; }
    if (item.text) { s.textContent = item.text; }
    return s;
  }

  function legendRow(item) {
    var row = el('div', 'jk-legend-row');
    row.appendChild(swatch(item));
    row.appendChild(el('span', null, item.label));
    return row;
  }

  function pointLayer(spec, makeMarker) {
    return L.geoJSON(spec.data, {
      pointToLayer: function (f, ll) { return makeMarker(f, ll); },
      onEachFeature: function (f, l) { bindCards(spec, f, l); }
    });
  }

  function bindCards(spec, f, l) {
    if (spec.fields && spec.fields.length) {
      l.bindTooltip(function () { return card(f.properties, spec.fields, spec.heading); },
                    {sticky: spec.type === 'polygons', className: 'jk-tip', direction: 'auto'});
    }
    if (spec.popup && spec.popup.length) {
      l.bindPopup(function () { return card(f.properties, spec.popup, spec.heading); },
                  {maxWidth: 360, minWidth: 220, className: 'jk-pop'});
    }
  }

  function buildLayer(spec, renderer) {
    var base = spec.style || {};
    if (spec.type === 'polygons' || spec.type === 'lines') {
      var layer = L.geoJSON(spec.data, {
        renderer: renderer,
        interactive: spec.interactive !== false,
        style: function (f) {
          var s = {};
          Object.keys(base).forEach(function (k) { s[k] = base[k]; });
          (spec.style_properties || []).forEach(function (k) {
            if (f.properties[k[0]] !== undefined) { s[k[1]] = f.properties[k[0]]; }
          });
          return s;
        },
        onEachFeature: function (f, l) {
          bindCards(spec, f, l);
          if (spec.highlight) {
            l.on('mouseover', function () { l.setStyle({weight: 2, color: '#000'}); });
            l.on('mouseout', function () { if (l !== window.jkSelected) { layer.resetStyle(l); } });
          }
        }
      });
      return layer;
    }
    if (spec.type === 'circles') {
      return pointLayer(spec, function (f, ll) {
        var s = {renderer: renderer};
        Object.keys(base).forEach(function (k) { s[k] = base[k]; });
        (spec.style_properties || []).forEach(function (k) {
          if (f.properties[k[0]] !== undefined) { s[k[1]] = f.properties[k[0]]; }
        });
        return L.circleMarker(ll, s);
      });
    }
    if (spec.type === 'numbered') {
      return pointLayer(spec, function (f, ll) {
        var badge = el('div', 'jk-site', f.properties[spec.number]);
        return L.marker(ll, {icon: L.divIcon({className: 'jk-site-icon', html: badge,
                                              iconSize: [22, 22], iconAnchor: [11, 11]})});
      });
    }
    throw new Error('unknown layer type');
  }

  function titleBox(data) {
    var box = el('div', 'jk-box', null);
    box.id = 'jk-title';
    var head = el('div', 'jk-title-head', data.title);
    box.appendChild(head);
    (data.subtitle || []).forEach(function (line) { box.appendChild(el('div', null, line)); });
    if (data.note) { box.appendChild(el('div', 'jk-note', data.note)); }
    return box;
  }

  function legendBox(data) {
    var box = el('div', 'jk-box jk-panel');
    box.id = 'jk-legend';
    var toggle = el('button', 'jk-fold', 'Legend');
    toggle.type = 'button';
    toggle.setAttribute('aria-expanded', 'true');
    box.appendChild(toggle);
    var body = el('div', 'jk-panel-body');
    (data.legend || []).forEach(function (sec, i) {
      var t = el('div', 'jk-legend-title', sec.title);
      if (i === 0) { t.id = 'jk-legend-title'; }
      body.appendChild(t);
      (sec.items || []).forEach(function (item) { body.appendChild(legendRow(item)); });
    });
    box.appendChild(body);
    toggle.addEventListener('click', function () {
      var open = body.style.display === 'none';
      body.style.display = open ? '' : 'none';
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
    return box;
  }

  function toolsBox(data) {
    var box = el('div', 'jk-box jk-noprint jk-panel');
    box.id = 'jk-tools';
    var input = el('input');
    input.id = 'jk-search';
    input.type = 'search';
    input.placeholder = data.search_placeholder || 'Find a village (name or code)';
    input.setAttribute('aria-label', input.placeholder);
    box.appendChild(input);
    var results = el('div');
    results.id = 'jk-results';
    box.appendChild(results);
    if (data.colour_options && data.colour_options.length > 1) {
      var label = el('label', null, 'Colour villages by ');
      var pick = el('select');
      pick.id = 'jk-colour';
      data.colour_options.forEach(function (o) {
        var opt = el('option', null, o[1]);
        opt.value = o[0];
        pick.appendChild(opt);
      });
      label.appendChild(pick);
      box.appendChild(label);
    }
    var buttons = el('div', 'jk-buttons');
    var full = el('button', null, 'Full screen');
    full.id = 'jk-full';
    full.type = 'button';
    var print = el('button', null, 'Print');
    print.id = 'jk-print';
    print.type = 'button';
    buttons.appendChild(full);
    buttons.appendChild(print);
    box.appendChild(buttons);
    return box;
  }

  window.jangkauMap = function (map, data) {
    var renderer = L.canvas({padding: 0.5});
    var control = L.control.layers(null, null, {collapsed: !!data.collapse_layers});
    var searchLayer = null, colourLayer = null;
    data.layers.forEach(function (spec) {
      var layer = buildLayer(spec, renderer);
      if (spec.show !== false) { layer.addTo(map); }
      control.addOverlay(layer, escapeHtml(spec.name));
      if (spec.search) { searchLayer = layer; }
      if (spec.colour_switch) { colourLayer = layer; }
    });
    if (data.basemap) {
      var tiles = L.tileLayer(data.basemap.url, {attribution: escapeHtml(data.basemap.attribution),
                                                 maxZoom: 19});
      control.addOverlay(tiles, escapeHtml(data.basemap.name));
      tiles.setZIndex(0);
    }
    control.addTo(map);
    var container = map.getContainer();
    container.parentNode.appendChild(titleBox(data));
    container.parentNode.appendChild(legendBox(data));
    var tools = toolsBox(data);
    container.parentNode.appendChild(tools);
    [tools, document.getElementById('jk-legend'), document.getElementById('jk-title')]
      .forEach(function (b) { L.DomEvent.disableClickPropagation(b); });
    if (data.bounds) { map.fitBounds(data.bounds); }

    var box = document.getElementById('jk-search');
    var out = document.getElementById('jk-results');
    window.jkSelected = null;
    function go(l) {
      if (window.jkSelected && searchLayer) { searchLayer.resetStyle(window.jkSelected); }
      l.setStyle({weight: 4, color: '#000'});
      window.jkSelected = l;
      map.fitBounds(l.getBounds(), {maxZoom: 12});
      l.openTooltip(l.getBounds().getCenter());
    }
    window.jkFind = function (q) {
      q = String(q || '').trim().toLowerCase();
      var hits = [];
      if (q.length < 2 || !searchLayer) { return hits; }
      searchLayer.eachLayer(function (l) {
        if (hits.length < 8 && String(l.feature.properties.q).indexOf(q) >= 0) { hits.push(l); }
      });
      return hits;
    };
    box.addEventListener('input', function () {
      out.replaceChildren();
      var q = box.value.trim();
      var hits = window.jkFind(q);
      if (q.length >= 2 && !hits.length) {
        out.appendChild(el('div', 'jk-none', 'No village matches "' + q + '"'));
      }
      hits.forEach(function (l) {
        var p = l.feature.properties;
        var d = el('div', 'jk-hit');
        d.appendChild(el('b', null, p[data.search_name || 'nama']));
        d.appendChild(el('span', null, ' ' + (p.where || '')));
        d.addEventListener('click', function () { go(l); });
        out.appendChild(d);
      });
    });
    box.addEventListener('keydown', function (e) {
      var hits = window.jkFind(box.value);
      if (e.key === 'Enter' && hits.length) { go(hits[0]); }
    });
    document.getElementById('jk-full').addEventListener('click', function () {
      var c = map.getContainer();
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else if (c.requestFullscreen) { c.requestFullscreen(); }
    });
    document.getElementById('jk-print').addEventListener('click', function () { window.print(); });
    var pick = document.getElementById('jk-colour');
    if (pick && colourLayer) {
      pick.addEventListener('change', function () {
        var key = pick.value;
        colourLayer.setStyle(function (f) { return {fillColor: f.properties[key]}; });
        var t = document.getElementById('jk-legend-title');
        if (t) { t.textContent = pick.options[pick.selectedIndex].textContent; }
      });
    }
    window.jkMap = map;
    window.jkReady = true;
  };
})();
