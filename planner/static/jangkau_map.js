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

  function button(text, id) {
    var b = el('button', null, text);
    b.type = 'button';
    b.id = id;
    return b;
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
    buttons.appendChild(button('Full screen', 'jk-full'));
    buttons.appendChild(button('Print', 'jk-print'));
    body.appendChild(buttons);
    box.appendChild(body);
    foldable(box, 'Search and tools', body, folded);
    return box;
  }

  // ---- Try other stops: the planner's coverage model (planner.decide.sites.stops_choice),
  // run in the browser on the tables the map carries (data.whatif). ----

  // Each village's site (-1: none) and the minutes to it: offices first (each village to
  // the nearest office within the cover time), then the stops for the villages left, the
  // nearest; ties go to the site listed first (as sites._assign).
  function assignSites(W, open) {
    var n = W.village_kabupaten.length;
    var site = new Array(n).fill(-1), best = new Array(n).fill(Infinity);
    [open.filter(function (j) { return W.sites.forced[j]; }),
     open.filter(function (j) { return !W.sites.forced[j]; })].forEach(function (group) {
      var free = site.map(function (s) { return s < 0; });
      group.forEach(function (j) {
        for (var k = W.indptr[j]; k < W.indptr[j + 1]; k++) {
          var r = W.rows[k], val = W.minutes[k] - 1e-12;
          if (val < best[r] - 1e-9 && free[r]) { site[r] = j; best[r] = val; }
        }
      });
    });
    return site;
  }

  function sum(values, keep) {
    var t = 0;
    for (var i = 0; i < values.length; i++) { if (keep(i)) { t += values[i]; } }
    return t;
  }

  function pyRound(x, digits) {  // Python's round (to even on exact halves), for the figures
    var f = Math.pow(10, digits || 0), y = x * f, r = Math.round(y);
    if (Math.abs(y % 1) === 0.5 && r % 2 !== 0) { r -= 1; }
    return r / f;
  }

  function whatIf(W, codes) {
    var index = {};
    W.sites.code.forEach(function (c, j) { index[c] = j; });
    var want = {};
    codes.forEach(function (c) { if (c in index && !W.sites.forced[index[c]]) { want[index[c]] = true; } });
    var open = [];
    W.sites.code.forEach(function (c, j) { if (W.sites.forced[j] || want[j]) { open.push(j); } });
    var key = W.indicator, demand = null;
    W.indicators.forEach(function (ind) { if (ind.key === key) { demand = ind.gap; } });
    function people(site) {
      var p = {};
      site.forEach(function (j, i) { if (j >= 0) { p[j] = (p[j] || 0) + demand[i]; } });
      return p;
    }
    var site = assignSites(W, open), per = people(site);
    var dropped = open.filter(function (j) { return !W.sites.forced[j] && !((per[j] || 0) > 0); });
    if (dropped.length) {   // a stop credited with nobody buys nothing: left out
      open = open.filter(function (j) { return dropped.indexOf(j) < 0; });
      site = assignSites(W, open);
      per = people(site);
    }
    var stops = open.filter(function (j) { return !W.sites.forced[j]; }).map(function (j) {
      return {code: W.sites.code[j], name: W.sites.name[j], people: pyRound(per[j] || 0),
              cost: W.sites.cost[j], kit: W.sites.kit[j]};
    });
    stops.sort(function (a, b) {
      return b.people - a.people || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
    });
    var isOffice = site.map(function (j) { return j >= 0 && W.sites.forced[j]; });
    var byStop = site.map(function (j) { return j >= 0 && !W.sites.forced[j]; });
    var coverage = [];
    W.indicators.forEach(function (ind) {
      W.areas.forEach(function (area, a) {
        var inArea = function (i) { return a === 0 || W.village_kabupaten[i] === a; };
        var off = W.offices_count ? sum(ind.gap, function (i) { return inArea(i) && isOffice[i]; }) : 0;
        var g = sum(ind.gap, function (i) { return inArea(i) && byStop[i]; });
        var E = ind.eligible[a], S = ind.served[a];
        coverage.push({indicator: ind.key, level: area.level, area: area.name,
                       covered_by_offices: Math.trunc(off), reached_by_new_sites: Math.trunc(g),
                       coverage_after: E ? pyRound((S + off + g) / E, 6) : null});
      });
    });
    var counted = site.map(function (j) { return j >= 0 && (W.offices_count || !W.sites.forced[j]); });
    var gaps = {};
    W.indicators.forEach(function (ind) { gaps[ind.key] = ind.gap; });
    var targets = W.targets.map(function (t) {
      var reached = 0, g = gaps[t.indicator];
      if (t.villages === null) {
        reached = sum(g, function (i) { return counted[i]; });
      } else {
        t.villages.forEach(function (i) { if (counted[i]) { reached += g[i]; } });
      }
      var short = Math.max(0, t.needed - reached);
      return {name: t.name, reached: pyRound(reached), short: pyRound(short), met: short <= 1e-9};
    });
    return {stops: stops, dropped: dropped.map(function (j) { return W.sites.code[j]; }),
            cost: stops.reduce(function (t, s) { return t + s.cost; }, 0),
            kits: stops.filter(function (s) { return s.kit; }).length,
            coverage: coverage, targets: targets};
  }

  var FORMULA_START = ['=', '+', '-', '@', '\t', '\r', '\n', '\uff1d', '\uff0b', '\uff0d', '\uff20'];
  function csvCell(text) {   // as planner.text.as_data, then quoted for CSV
    text = String(text);
    if (FORMULA_START.indexOf(text.charAt(0)) >= 0) { text = "'" + text; }
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function rupiahM(x) { return 'Rp ' + (x / 1e6).toLocaleString('en-US', {maximumFractionDigits: 1}) + ' M'; }
  function count(x) { return Math.round(x).toLocaleString('en-US'); }
  function pct(x) { return x === null ? '' : (100 * x).toFixed(2) + '%'; }

  function whatIfPanel(map, W, folded, renderer) {
    var box = el('div', 'jk-box jk-noprint jk-panel');
    box.id = 'jk-whatif';
    var body = el('div', 'jk-panel-body');
    var summary = el('div', 'jk-wi-summary');
    var table = el('table', 'jk-wi-table');
    var targets = el('div', 'jk-wi-targets');
    var list = el('div', 'jk-wi-list');
    var add = el('select');
    add.id = 'jk-wi-add';
    add.setAttribute('aria-label', 'Add a stop');
    var first = el('option', null, 'Add a stop\u2026');
    first.value = '';
    add.appendChild(first);
    var names = W.sites.code.map(function (c, j) { return j; })
      .filter(function (j) { return !W.sites.forced[j]; })
      .sort(function (a, b) {
        var x = W.sites.name[a], y = W.sites.name[b];
        return x < y ? -1 : x > y ? 1 : a - b;
      });
    names.forEach(function (j) {
      var o = el('option', null, W.sites.name[j] + ' (' + W.sites.code[j] + ')');
      o.value = W.sites.code[j];
      add.appendChild(o);
    });
    var buttons = el('div', 'jk-buttons');
    var reset = button("The plan's stops", 'jk-wi-reset');
    var save = button('Download stops.csv', 'jk-wi-download');
    buttons.appendChild(reset);
    buttons.appendChild(save);
    var how = el('div', 'jk-sub', 'Every change is priced at once by the planner\'s rules: '
      + 'each village credited to the nearest office, else the nearest stop, within '
      + W.cover_minutes + ' min. Cost: round trips from the nearest office (as sites.csv). '
      + 'Trips with nights and timetables: planner trips --stops stops.csv.');
    [summary, table, targets, el('div', 'jk-legend-title', 'Stops (untick to drop)'), list, add,
     buttons, how].forEach(function (x) { body.appendChild(x); });
    box.appendChild(body);
    foldable(box, 'Try other stops', body, folded);

    var markers = L.layerGroup().addTo(map);
    var rows = W.chosen.slice();              // listed stops, ticked or not
    var on = {};
    rows.forEach(function (c) { on[c] = true; });
    var index = {};
    W.sites.code.forEach(function (c, j) { index[c] = j; });

    function chosen() { return rows.filter(function (c) { return on[c]; }); }

    function draw() {
      var r = whatIf(W, chosen());
      window.jkWhatIfResult = r;
      summary.textContent = r.stops.length + ' stop(s) \u00b7 ' + rupiahM(r.cost)
        + ' round trips \u00b7 ' + r.kits + ' satellite kit(s)'
        + (r.dropped.length ? ' \u00b7 ' + r.dropped.length + ' add(s) nobody new' : '');
      table.replaceChildren();
      var head = el('tr');
      ['', 'reached by stops', 'coverage after'].forEach(function (h) { head.appendChild(el('th', null, h)); });
      table.appendChild(head);
      W.indicators.forEach(function (ind) {
        r.coverage.filter(function (c) { return c.indicator === ind.key && c.level === 'province'; })
          .forEach(function (c) {
            var tr = el('tr');
            tr.appendChild(el('td', null, ind.label));
            tr.appendChild(el('td', 'jk-n', count(c.reached_by_new_sites)));
            tr.appendChild(el('td', 'jk-n', pct(c.coverage_after)));
            table.appendChild(tr);
          });
      });
      targets.replaceChildren();
      r.targets.forEach(function (t) {
        targets.appendChild(el('div', t.met ? 'jk-met' : 'jk-short',
          (t.met ? '\u2713 ' : '\u2717 ') + t.name + (t.met ? ': met' : ': ' + count(t.short) + ' short')));
      });
      var people = {};
      r.stops.forEach(function (s) { people[s.code] = s.people; });
      list.replaceChildren();
      rows.forEach(function (c) {
        var label = el('label', 'jk-wi-stop');
        var tick = el('input');
        tick.type = 'checkbox';
        tick.checked = !!on[c];
        tick.value = c;
        tick.addEventListener('change', function () { on[c] = tick.checked; draw(); });
        label.appendChild(tick);
        var j = index[c];
        label.appendChild(el('span', null, ' ' + W.sites.name[j] + ' (' + c + ')'
          + (on[c] ? ': +' + count(people[c] || 0) : '')));
        list.appendChild(label);
      });
      markers.clearLayers();
      chosen().forEach(function (c) {
        var j = index[c];
        // on the map's one canvas (an SVG pane above it would take the villages' hover)
        L.circleMarker([W.sites.lat[j], W.sites.lon[j]], {radius: 9, color: '#1b7837', weight: 3,
          fill: false, interactive: false, renderer: renderer}).addTo(markers);
      });
    }
    add.addEventListener('change', function () {
      var c = add.value;
      if (c && rows.indexOf(c) < 0) { rows.push(c); }
      if (c) { on[c] = true; }
      add.value = '';
      draw();
    });
    reset.addEventListener('click', function () {
      rows = W.chosen.slice();
      on = {};
      rows.forEach(function (c) { on[c] = true; });
      draw();
    });
    save.addEventListener('click', function () {
      var lines = ['code,name'];
      chosen().forEach(function (c) { lines.push(csvCell(c) + ',' + csvCell(W.sites.name[index[c]])); });
      var blob = new Blob([lines.join('\r\n') + '\r\n'], {type: 'text/csv'});
      var a = el('a');
      a.href = URL.createObjectURL(blob);
      a.download = 'stops.csv';
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
    });
    window.jkWhatIf = function (codes) { return whatIf(W, codes); };
    window.jkWhatIfSet = function (codes) {
      rows = codes.slice();
      on = {};
      rows.forEach(function (c) { on[c] = true; });
      draw();
    };
    draw();
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
    if (data.whatif) {
      var wi = whatIfPanel(map, data.whatif, true, renderer);
      control(map, 'topleft', wi);
      scrollHint(wi);
      wi.jkUpdateHint();
    }
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
