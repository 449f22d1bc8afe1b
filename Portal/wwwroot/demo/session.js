// Session inspector: send 50 requests to /whoami, with or without cookies (so without or with HAProxy's sticky
// SERVERID cookie), and draw how they spread across web nodes. Sequential on purpose: one request at a time, as a
// person clicking would, so the load balancer's round robin shows plainly.
(function () {
  'use strict';
  var COUNT = 50;
  var chart = document.getElementById('chart');
  var status = document.getElementById('tool-status');
  var buttons = document.querySelectorAll('[data-credentials]');

  var held = document.cookie.split('; ').filter(function (c) { return c.indexOf('SERVERID=') === 0; })[0];
  var browserCookie = document.getElementById('browser-serverid');
  if (browserCookie) browserCookie.textContent = held ? held : 'no SERVERID cookie (not behind HAProxy, or it is HttpOnly)';

  function draw(counts, label) {
    var total = 0, max = 0, names = Object.keys(counts).sort();
    names.forEach(function (n) { total += counts[n]; max = Math.max(max, counts[n]); });
    chart.textContent = '';
    var caption = document.createElement('div');
    caption.className = 'caption';
    caption.textContent = label + ': ' + total + ' requests answered by ' + names.length + ' node' + (names.length === 1 ? '' : 's');
    caption.setAttribute('data-testid', 'chart-caption');
    chart.appendChild(caption);
    names.forEach(function (n) {
      var row = document.createElement('div');
      row.className = 'row';
      row.setAttribute('data-node', n);
      var name = document.createElement('span');
      name.textContent = n;
      var track = document.createElement('div');
      var bar = document.createElement('div');
      bar.className = 'bar';
      bar.style.width = (100 * counts[n] / max) + '%';
      track.appendChild(bar);
      var value = document.createElement('span');
      value.className = 'count';
      value.textContent = counts[n];
      row.appendChild(name); row.appendChild(track); row.appendChild(value);
      chart.appendChild(row);
    });
  }

  async function send(credentials, label) {
    buttons.forEach(function (b) { b.disabled = true; });
    var counts = {}, failed = 0;
    for (var i = 0; i < COUNT; i++) {
      status.textContent = 'request ' + (i + 1) + ' of ' + COUNT + '…';
      try {
        var response = await fetch('/whoami', { credentials: credentials, cache: 'no-store' });
        var who = await response.json();
        counts[who.node] = (counts[who.node] || 0) + 1;
      } catch (e) {
        failed++;
      }
    }
    draw(counts, label);
    status.textContent = failed ? failed + ' request(s) failed' : 'done';
    buttons.forEach(function (b) { b.disabled = false; });
  }

  buttons.forEach(function (b) {
    b.addEventListener('click', function () {
      var c = b.getAttribute('data-credentials');
      send(c, c === 'omit' ? 'Without the sticky cookie' : 'With the sticky cookie');
    });
  });
})();
