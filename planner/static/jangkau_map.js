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

  // Keep every tooltip inside the map: Leaflet places it beside the pointer and may push it
  // past an edge (a village near the top, or at the right of a phone screen).
  var setPosition = L.Tooltip.prototype._setPosition;
  L.Tooltip.prototype._setPosition = function (pos) {
    setPosition.call(this, pos);
    var map = this._map, el = this._container;
    if (!map || !el) { return; }
    // measured as drawn (the direction's CSS margin included), against the map's box
    var r = el.getBoundingClientRect(), box = map.getContainer().getBoundingClientRect();
    var m = 4, dx = 0, dy = 0;
    if (r.right > box.right - m) { dx = box.right - m - r.right; }
    if (r.left + dx < box.left + m) { dx = box.left + m - r.left; }
    if (r.bottom > box.bottom - m) { dy = box.bottom - m - r.bottom; }
    if (r.top + dy < box.top + m) { dy = box.top + m - r.top; }
    if (dx || dy) {
      L.DomUtil.setPosition(el, L.DomUtil.getPosition(el).add(L.point(dx, dy)));
    }
  };

  function control(map, position, el) {
    var C = L.Control.extend({onAdd: function () { return el; }});
    L.DomEvent.disableClickPropagation(el);
    L.DomEvent.disableScrollPropagation(el);
    return new C({position: position}).addTo(map);
  }

  // A panel that folds to its heading (on phones it starts folded).
  function foldable(box, label, body, folded) {
    var toggle = el('button', 'jk-fold', label);
    toggle.type = 'button';
    box.insertBefore(toggle, box.firstChild);
    function set(open) {
      body.style.display = open ? '' : 'none';
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
      toggle.textContent = (open ? '\u25be ' : '\u25b8 ') + label;
    }
    toggle.addEventListener('click', function () {
      set(body.style.display === 'none');
      box.dispatchEvent(new Event('jk-fold'));
    });
    set(!folded);
    box.jkFold = function () { set(false); box.dispatchEvent(new Event('jk-fold')); };
  }

  // A panel that scrolls says so: a "more below" line at its foot while content is hidden.
  function scrollHint(box) {
    var hint = el('div', 'jk-more', '\u25be more below (scroll)');
    hint.setAttribute('aria-hidden', 'true');
    box.appendChild(hint);
    function update() {
      var hidden = box.scrollHeight - box.clientHeight - box.scrollTop > 2;
      hint.style.display = hidden ? '' : 'none';
    }
    box.addEventListener('scroll', update);
    box.addEventListener('jk-fold', update);
    window.addEventListener('resize', update);
    box.jkUpdateHint = update;
    return update;
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
                    {sticky: spec.type === 'polygons', className: 'jk-tip', direction: 'auto',
                     opacity: 1});
    }
    if (spec.popup && spec.popup.length) {
      l.bindPopup(function () { return card(f.properties, spec.popup, spec.heading); },
                  {maxWidth: 360, minWidth: 220, className: 'jk-pop'});
    }
  }

  // Context layers drawn as hatching ("no signal") in SVG, in a pane that lets the mouse
  // through to the villages beneath.
  function hatchRenderer(map) {
    if (map._jkHatch) { return map._jkHatch; }
    var pane = map.createPane('jk-context');
    pane.style.zIndex = 450;
    pane.style.pointerEvents = 'none';
    var r = L.svg({pane: 'jk-context', padding: 0.5});
    r.once('add', function () {
      var ns = 'http://www.w3.org/2000/svg';
      function svgEl(tag, attrs) {
        var e = document.createElementNS(ns, tag);
        Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
        return e;
      }
      var defs = svgEl('defs', {});
      var pat = svgEl('pattern', {id: 'jk-hatch', width: '7', height: '7',
                                  patternUnits: 'userSpaceOnUse',
                                  patternTransform: 'rotate(45)'});
      pat.appendChild(svgEl('line', {x1: '0', y1: '0', x2: '0', y2: '7', stroke: '#222',
                                     'stroke-width': '1.6', 'stroke-opacity': '0.55'}));
      defs.appendChild(pat);
      r._container.insertBefore(defs, r._container.firstChild);
    });
    map._jkHatch = r;
    return r;
  }

  function buildLayer(spec, renderer, map) {
    var base = spec.style || {};
    if (spec.hatch) { renderer = hatchRenderer(map); }
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
    var box = el('div', 'jk-box');
    box.id = 'jk-title';
    box.appendChild(el('div', 'jk-title-head', data.title));
    (data.subtitle || []).forEach(function (line) { box.appendChild(el('div', 'jk-sub', line)); });
    if (data.note) { box.appendChild(el('div', 'jk-note', data.note)); }
    return box;
  }

  function legendBox(data, folded) {
    var box = el('div', 'jk-box jk-panel');
    box.id = 'jk-legend';
    var body = el('div', 'jk-panel-body');
    (data.legend || []).forEach(function (sec, i) {
      var t = el('div', 'jk-legend-title', sec.title);
      if (i === 0) { t.id = 'jk-legend-title'; }
      body.appendChild(t);
      (sec.items || []).forEach(function (item) { body.appendChild(legendRow(item)); });
    });
    box.appendChild(body);
    foldable(box, 'Legend', body, folded);
    scrollHint(box);
    return box;
  }

  function toolsBox(data, folded) {
    var box = el('div', 'jk-box jk-noprint jk-panel');
    box.id = 'jk-tools';
    var body = el('div', 'jk-panel-body');
    var input = el('input');
    input.id = 'jk-search';
    input.type = 'search';
    input.placeholder = data.search_placeholder || 'Find a village (name or code)';
    input.setAttribute('aria-label', input.placeholder);
    body.appendChild(input);
    var results = el('div');
    results.id = 'jk-results';
    body.appendChild(results);
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
      body.appendChild(label);
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
    body.appendChild(buttons);
    box.appendChild(body);
    foldable(box, 'Search and tools', body, folded);
    return box;
  }

  // Widest control of a corner (px), to keep the villages out from under the panels.
  function cornerWidth(map, corner) {
    var c = map._controlCorners[corner], w = 0;
    Array.prototype.forEach.call(c.children, function (ch) { w = Math.max(w, ch.offsetWidth); });
    return w;
  }

  window.jangkauMap = function (map, data) {
    var renderer = L.canvas({padding: 0.5});
    var phone = map.getSize().x < 600;
    var layers = L.control.layers(null, null, {collapsed: data.collapse_layers !== false});
    var searchLayer = null, colourLayer = null;
    data.layers.forEach(function (spec) {
      var layer = buildLayer(spec, renderer, map);
      if (spec.show !== false) { layer.addTo(map); }
      layers.addOverlay(layer, escapeHtml(spec.name));
      if (spec.search) { searchLayer = layer; }
      if (spec.colour_switch) { colourLayer = layer; }
    });
    if (data.basemap) {
      var tiles = L.tileLayer(data.basemap.url, {attribution: escapeHtml(data.basemap.attribution),
                                                 maxZoom: 19});
      layers.addOverlay(tiles, escapeHtml(data.basemap.name));
      tiles.setZIndex(0);
    }
    map.options.zoomSnap = 0.25;
    if (map.zoomControl) { map.zoomControl.remove(); }
    control(map, 'topleft', titleBox(data));
    if (map.zoomControl) { map.zoomControl.addTo(map); }
    control(map, 'topleft', toolsBox(data, phone));
    layers.addTo(map);
    var legend = legendBox(data, phone);
    control(map, 'bottomright', legend);
    legend.jkUpdateHint();
    if (data.bounds) {
      var left = cornerWidth(map, 'topleft'), right = Math.max(
        cornerWidth(map, 'topright'), cornerWidth(map, 'bottomright'));
      var pad = phone ? [[8, 8], [8, 8]] : [[left + 16, 12], [right + 16, 12]];
      map.fitBounds(data.bounds, {paddingTopLeft: pad[0], paddingBottomRight: pad[1]});
    }

    var box = document.getElementById('jk-search');
    var out = document.getElementById('jk-results');
    window.jkSelected = null;
    function go(l) {
      if (window.jkSelected && searchLayer) { searchLayer.resetStyle(window.jkSelected); }
      l.setStyle({weight: 4, color: '#000'});
      window.jkSelected = l;
      var tools = document.getElementById('jk-tools');
      if (map.getSize().x < 600 && tools && tools.jkFold) {
        tools.jkFold();   // on a phone the panel gives the card the screen
        box.blur();       // and the keyboard goes away
      }
      // the village in the part of the map no panel covers, the card opened beside it
      var left = cornerWidth(map, 'topleft');
      var top = 0;
      Array.prototype.forEach.call(map._controlCorners.topleft.children, function (ch) {
        top = Math.max(top, ch.offsetTop + ch.offsetHeight);
      });
      var narrow = map.getSize().x < 600;
      map.fitBounds(l.getBounds(), {maxZoom: 12, animate: false,
                                    paddingTopLeft: narrow ? [8, top + 8] : [left + 16, 12],
                                    paddingBottomRight: [12, 12]});
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
