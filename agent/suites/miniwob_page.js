// Deskhand's helpers inside a MiniWoB++ task page (installed once per page load).
//
// - an input-event counter, so the harness knows when the page has handled an action;
// - the human display (reward HUD, click marks) hidden, as BrowserGym does;
// - the DOM oracle: per task, the remaining right steps from the page as it stands, each
//   click with a point that really hits its target (document.elementFromPoint), in CSS
//   pixels of the viewport. It reads only what the page shows (utterance and DOM), never the
//   task's hidden answer.
(function () {
  if (window.__deskhand) { return; }
  var dh = window.__deskhand = {events: 0};
  ['mousedown', 'mouseup', 'click', 'keydown', 'keyup', 'input', 'change', 'wheel', 'focus']
    .forEach(function (type) { window.addEventListener(type, function () { dh.events++; }, true); });
  var style = document.createElement('style');
  style.textContent = '#reward-display, #click-canvas { display: none !important; }';
  document.head.appendChild(style);

  function q(selector) { return document.querySelector(selector); }
  function all(selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); }
  function text(el) { return (el.textContent || '').replace(/\s+/g, ' ').trim(); }
  function quoted(u) { var m = /"([^"]*)"/.exec(u); return m ? m[1] : null; }
  function byText(selector, wanted) {
    return all(selector).filter(function (el) { return text(el) === wanted; })[0] || null;
  }

  // A point inside el that a click really lands on (el or one of its children), or null.
  var SPOTS = [[0.5, 0.5], [0.35, 0.5], [0.65, 0.5], [0.5, 0.35], [0.5, 0.65],
               [0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75], [0.15, 0.5], [0.85, 0.5]];
  function hitPoint(el) {
    var r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) { return null; }
    for (var i = 0; i < SPOTS.length; i++) {
      var x = r.left + SPOTS[i][0] * r.width, y = r.top + SPOTS[i][1] * r.height;
      var hit = document.elementFromPoint(x, y);
      if (hit && (hit === el || el.contains(hit))) { return [x, y]; }
    }
    return null;
  }

  function click(el, what) {
    if (!el) { throw new Error('not on the page: ' + what); }
    return {kind: 'click', el: el, what: what};
  }
  function typeInto(el, value, what) {
    if (!el) { throw new Error('not on the page: ' + what); }
    if (el.value === value) { return []; }
    var steps = [];
    var focused = document.activeElement === el;
    if (!focused) { steps.push(click(el, what)); }
    var selected = focused && el.selectionStart === 0 && el.selectionEnd === el.value.length;
    if (el.value !== '' && !selected) { steps.push({kind: 'key', keys: ['ctrl', 'a']}); }
    steps.push({kind: 'type', text: value});
    return steps;
  }
  function toggles(labels, wanted) {  // clicks that leave exactly the wanted boxes checked
    var steps = [];
    labels.forEach(function (label) {
      var box = label.querySelector('input');
      if (box && box.checked !== wanted(text(label))) { steps.push(click(box, text(label))); }
    });
    return steps;
  }
  function submit() { return click(q('#subbtn'), 'the Submit button'); }

  function shapeOf(el) {  // shapes.js's description of an SVG item: size, color, text, type
    var tag = el.tagName.toLowerCase(), size;
    if (tag === 'text') {
      size = parseFloat(el.getAttribute('font-size'));
      var t = el.textContent;
      return {size: size > 15 ? 1 : 0, color: el.getAttribute('fill'), text: t,
              type: /[0-9]/.test(t) ? 'digit' : 'letter'};
    }
    var names = {rect: 'rectangle', circle: 'circle', polygon: 'triangle'};
    if (!names[tag]) { return null; }
    var box = el.getBBox();
    return {size: box.width > 15 ? 1 : 0, color: el.getAttribute('fill'), text: names[tag],
            type: 'shape'};
  }

  var SOLVERS = {
    'click-test': function () { return [click(q('#subbtn'), 'the button')]; },
    'click-test-2': function (u) {
      var m = /button (\w+)/.exec(u);
      return [click(m && byText('#area button', m[1]), 'button ' + (m && m[1]))];
    },
    'click-button': function (u) {
      return [click(byText('#area button', quoted(u)), 'the button ' + quoted(u))];
    },
    'click-link': function (u) {
      return [click(byText('#area .alink', quoted(u)), 'the link ' + quoted(u))];
    },
    'click-dialog': function () {
      return [click(q('.ui-dialog-titlebar-close'), 'the dialog\'s x')];
    },
    'click-color': function (u) {
      var m = /Click on the (.+) colored box/.exec(u);
      var color = m ? m[1].trim() : '';
      var box = all('#area .color').filter(function (el) {
        return el.getAttribute('data-color') === color;
      })[0];
      return [click(box, 'the ' + color + ' box')];
    },
    'click-shape': function (u) {
      var words = u.replace(/^Click on an? /, '').replace(/\.$/, '').split(' ');
      var size = '', color = '';
      if (words[0] === 'large' || words[0] === 'small') { size = words.shift(); }
      if (words.length > 1) { color = words.shift(); }
      var kind = words.join(' ');
      var found = all('#area_svg > *').filter(function (el) {
        var s = shapeOf(el);
        return s && (size === '' || (s.size === 1 ? 'large' : 'small') === size) &&
          (color === '' || s.color === color) &&
          (kind === 'item' || s.text === kind || s.type === kind);
      });
      return [click(found[0], u)];
    },
    'click-checkboxes': function (u) {
      var m = /^Select (.*) and click Submit/.exec(u);
      var names = !m || m[1] === 'nothing' ? [] : m[1].split(', ');
      var steps = toggles(all('#boxes label'), function (name) {
        return names.indexOf(name) >= 0;
      });
      return steps.concat([submit()]);
    },
    'click-tab': function (u) {
      var m = /Tab #(\d+)/.exec(u);
      return [click(m && q('#area ul a[href="#tabs-' + m[1] + '"]'), 'Tab #' + (m && m[1]))];
    },
    'click-option': function (u) {
      var m = /^Select (.*) and click Submit/.exec(u);
      var name = m ? m[1] : null;
      var steps = all('#boxes label').filter(function (label) {
        var box = label.querySelector('input');
        return text(label) === name && box && !box.checked;
      }).map(function (label) { return click(label.querySelector('input'), name); });
      return steps.concat([submit()]);
    },
    'focus-text': function () { return [click(q('#tt'), 'the text field')]; },
    'enter-text': function (u) {
      return typeInto(q('#tt'), quoted(u), 'the text field').concat([submit()]);
    },
  };

  // The remaining steps, clicks resolved to points: {steps: [...]} or {error: '...'}.
  dh.plan = function (task, utterance) {
    if (WOB_DONE_GLOBAL) { return {steps: [], error: 'the task is over'}; }
    var solve = SOLVERS[task];
    if (!solve) { return {steps: [], error: 'the DOM oracle does not know the task ' + task}; }
    var steps;
    try { steps = solve(utterance); } catch (e) { return {steps: [], error: String(e.message)}; }
    var out = [];
    for (var i = 0; i < steps.length; i++) {
      var s = steps[i];
      if (s.kind !== 'click') { out.push(s); continue; }
      var r = s.el.getBoundingClientRect();
      var point = hitPoint(s.el);
      if (!point) { return {steps: out, error: 'no visible point on ' + s.what}; }
      out.push({kind: 'click', x: point[0], y: point[1], what: s.what,
                rect: [r.left, r.top, r.width, r.height]});
    }
    return {steps: out, error: null};
  };

  // Whether a click at page point (x, y) lands on the first step's target.
  dh.hits = function (task, utterance, x, y) {
    if (WOB_DONE_GLOBAL || !SOLVERS[task]) { return false; }
    var steps;
    try { steps = SOLVERS[task](utterance); } catch (e) { return false; }
    if (!steps.length || steps[0].kind !== 'click') { return false; }
    var hit = document.elementFromPoint(x, y), el = steps[0].el;
    return !!hit && (hit === el || el.contains(hit));
  };

  // The page's state once it has handled the input sent since the counter read `seen`: when
  // the counter has been still for `settle` ms after changing, or after `most` ms, or at
  // once when the task is over. Waits inside the page: one round trip for the harness.
  dh.state = function () {
    return [WOB_DONE_GLOBAL, WOB_RAW_REWARD_GLOBAL, WOB_REWARD_REASON, dh.events];
  };
  dh.settle = function (seen, settle, most, reply) {
    var start = performance.now(), last = seen, changedAt = null;
    (function tick() {
      var s = dh.state(), now = performance.now();
      if (s[0]) { return reply(s); }
      if (s[3] !== last) { last = s[3]; changedAt = now; }
      if ((changedAt !== null && now - changedAt >= settle) || now - start >= most) {
        return reply(s);
      }
      setTimeout(tick, 4);
    })();
  };
})();
