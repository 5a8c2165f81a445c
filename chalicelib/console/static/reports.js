/* inbound staff console: the team report (GET /api/reports), for every signed-in agent.
 *
 * console.js calls InboundReports(desk) once with what it shares; nothing here is global
 * but that one function. A "Reports" button in the top bar opens one dialog: a range and a
 * mailbox, the totals, four charts and two tables. The charts are SVG drawn here (no remote
 * script, no chart library: the page's policy allows scripts from 'self' only):
 *  - tickets in and solved per day (bars) with the backlog at each day's end (a line);
 *  - first-response and resolution time per day, p50 and p90, on a log scale;
 *  - the bounce and the complaint rate per day against SES's review rate and the guard's
 *    pause line.
 * Times come from fixed buckets (the note under the charts says what that costs).
 */
'use strict';

window.InboundReports = (desk) => {
  const { api, el, $, showAlert } = desk;
  const { t, number, day, readDay } = window.InboundI18n;
  const SVG = 'http://www.w3.org/2000/svg';
  const DAY_MS = 86400000;
  const dialog = el('dialog', { id: 'reports-dialog', className: 'picker reports', attrs: { 'aria-label': t('report.title') } });
  const button = el('button', { type: 'button', className: 'quiet', id: 'reports-open', text: t('report.button'), hidden: true, title: t('report.button_title') });

  // -- words and numbers ---------------------------------------------------------
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    if (seconds < 0) return t('report.over_27_days');
    if (seconds < 3600) return t('report.minutes', { n: number(seconds / 60) });
    if (seconds < 2 * 86400) return t('report.hours', { n: number(seconds / 3600) });
    return t('report.days', { n: number(seconds / 86400) });
  }
  const pair = (f) => `${duration(f.p50)} / ${duration(f.p90)}`;
  const percent = (rate, digits) => number(rate, { style: 'percent', maximumFractionDigits: digits });
  const dayLabel = (iso) => t('report.day_label', { d: String(Number(iso.slice(8, 10))), m: String(Number(iso.slice(5, 7))) });
  const isoDay = (date) => date.toISOString().slice(0, 10);

  // -- drawing ---------------------------------------------------------------------
  // The plot's margins: the y labels at the left, the day labels and the legend below, and
  // room at the right for the names of the limit lines (the rate charts).
  const W = 880, PAD = { left: 78, right: 20, top: 14, bottom: 58 };
  const RATE_RIGHT = 130;
  function svgFor(height, label) {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${W} ${height}`);
    svg.setAttribute('class', 'report-chart');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
    return svg;
  }
  function node(parent, tag, attrs, text) {
    const n = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = text;
    parent.append(n);
    return n;
  }
  function niceTicks(max, whole = false) {
    const top = Math.max(max, 1);
    const raw = top / 4, power = 10 ** Math.floor(Math.log10(raw));
    const nice = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
    const step = whole ? Math.max(1, Math.round(nice)) : nice;  // no half tickets
    const ticks = [];
    for (let v = 0; v <= top + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
    if (ticks[ticks.length - 1] < top) ticks.push(ticks[ticks.length - 1] + step);
    return ticks;
  }

  /* A frame: the y axis with its ticks (scale: value -> y), the x axis with the day labels
   * (every n-th when there are many), and the plot's geometry for the series. */
  function frame(svg, height, days, ticks, y, tickText, yTitle, right = PAD.right) {
    const plotW = W - PAD.left - right, bottom = height - PAD.bottom;
    const band = plotW / days.length;
    for (const v of ticks) {
      node(svg, 'line', { x1: PAD.left, x2: PAD.left + plotW, y1: y(v), y2: y(v), class: 'grid' });
      node(svg, 'text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, tickText(v));
    }
    node(svg, 'line', { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: bottom, class: 'axis' });
    node(svg, 'line', { x1: PAD.left, x2: PAD.left + plotW, y1: bottom, y2: bottom, class: 'axis' });
    const every = Math.ceil(days.length / 16);
    days.forEach((day, i) => {
      if (i % every) return;
      node(svg, 'text', { x: PAD.left + band * (i + 0.5), y: bottom + 16, 'text-anchor': 'middle', class: 'tick' }, dayLabel(day));
    });
    node(svg, 'text', { x: 14, y: (PAD.top + bottom) / 2, transform: `rotate(-90 14 ${(PAD.top + bottom) / 2})`, 'text-anchor': 'middle', class: 'axis-title' }, yTitle);
    return { band, x: (i) => PAD.left + band * (i + 0.5), right: PAD.left + plotW, bottom };
  }
  /* The legend in one row under the day labels; each entry as wide as its words need. */
  function legend(svg, height, entries) {
    const y = height - 12;
    let x = PAD.left;
    for (const [label, cls, shape] of entries) {
      if (shape === 'bar') node(svg, 'rect', { x, y: y - 6, width: 14, height: 10, class: `${cls} legend-key` });
      else node(svg, 'line', { x1: x, x2: x + 16, y1: y - 1, y2: y - 1, class: `${cls} legend-key` });
      const text = node(svg, 'text', { x: x + 22, y: y + 3, class: 'legend' }, label);
      x += 22 + Math.max(text.getComputedTextLength ? text.getComputedTextLength() : 0, label.length * 6.5) + 24;
    }
  }
  function polyline(svg, points, cls, tip) {
    let d = '', pen = false;
    for (const p of points) {
      if (!p) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)}`;
      pen = true;
    }
    if (d) node(svg, 'path', { d, class: cls });
    const r = cls.includes('p90') ? 5 : 3;
    points.forEach((p, i) => { if (p) node(node(svg, 'circle', { cx: p[0], cy: p[1], r, class: cls }), 'title', {}, tip(i)); });
  }

  function volumeChart(report) {
    const days = report.days.map((d) => d.day), height = 280;
    const ticks = niceTicks(Math.max(...report.days.map((d) => Math.max(d.in, d.solved, d.backlog))), true);
    const top = ticks[ticks.length - 1];
    const y = (v) => height - PAD.bottom - ((height - PAD.bottom - PAD.top) * v) / top;
    const svg = svgFor(height, t('report.chart_volume'));
    const f = frame(svg, height, days, ticks, y, (v) => number(v), t('report.axis_tickets'));
    const bar = Math.min(f.band * 0.36, 26);
    report.days.forEach((d, i) => {
      const tip = t('report.tip_volume', { day: dayLabel(d.day), in: number(d.in), solved: number(d.solved), backlog: number(d.backlog) });
      node(node(svg, 'rect', { x: f.x(i) - bar, y: y(d.in), width: bar, height: y(0) - y(d.in), class: 'bar-in' }), 'title', {}, tip);
      node(node(svg, 'rect', { x: f.x(i), y: y(d.solved), width: bar, height: y(0) - y(d.solved), class: 'bar-solved' }), 'title', {}, tip);
    });
    polyline(svg, report.days.map((d, i) => [f.x(i), y(d.backlog)]), 'line-backlog', (i) => t('report.tip_backlog', { day: dayLabel(days[i]), n: number(report.days[i].backlog) }));
    legend(svg, height, [[t('report.in'), 'bar-in', 'bar'], [t('report.solved'), 'bar-solved', 'bar'], [t('report.backlog'), 'line-backlog', 'line']]);
    return svg;
  }

  const LOG_TICKS = [60, 600, 3600, 4 * 3600, 86400, 4 * 86400, 27 * 86400];
  function timesChart(report) {
    const days = report.days.map((d) => d.day), height = 280;
    const values = report.days.flatMap((d) => [d.first_response.p90, d.resolution.p90, d.first_response.p50, d.resolution.p50]);
    const shown = (v) => (v === null ? null : v < 0 ? 27 * 86400 : v);
    const highest = Math.max(3600, ...values.map(shown).filter((v) => v !== null));
    const ticks = LOG_TICKS.filter((v, i) => v <= highest || (i > 0 && LOG_TICKS[i - 1] < highest));
    const lo = Math.log(60), hi = Math.log(ticks[ticks.length - 1]);
    const y = (v) => height - PAD.bottom - ((height - PAD.bottom - PAD.top) * (Math.log(Math.max(v, 60)) - lo)) / (hi - lo);
    const svg = svgFor(height, t('report.chart_times'));
    const f = frame(svg, height, days, ticks, y, duration, t('report.axis_time'));
    const series = [
      ['first_response', 'p50', 'line-fr', t('report.fr_p50')], ['first_response', 'p90', 'line-fr p90', t('report.fr_p90')],
      ['resolution', 'p50', 'line-rs', t('report.rs_p50')], ['resolution', 'p90', 'line-rs p90', t('report.rs_p90')],
    ];
    // p90 first: where both are the same bucket, p50's dot shows inside p90's ring.
    for (const [what, p, cls, label] of [1, 0, 3, 2].map((i) => series[i])) {
      const points = report.days.map((d, i) => (shown(d[what][p]) === null ? null : [f.x(i), y(shown(d[what][p]))]));
      polyline(svg, points, cls, (i) => `${dayLabel(days[i])}: ${label} ${duration(report.days[i][what][p])}`);
    }
    legend(svg, height, series.map(([, , cls, label]) => [label, cls, 'line']));
    return svg;
  }

  function rateChart(rep, which) {
    const days = rep.days.map((d) => d.day), height = 240;
    const [rateKey, ses, pause, digits, title, axis] = which === 'bounce'
      ? ['bounce_rate', rep.ses_bounce_review, rep.bounce_pause, 1, t('report.chart_bounce'), t('report.axis_bounce')]
      : ['complaint_rate', rep.ses_complaint_review, rep.complaint_pause, 2, t('report.chart_complaint'), t('report.axis_complaint')];
    const highest = Math.max(ses * 1.25, ...rep.days.map((d) => d[rateKey]));
    const ticks = niceTicks(highest * 1000).map((v) => v / 1000);
    const top = ticks[ticks.length - 1];
    const y = (v) => height - PAD.bottom - ((height - PAD.bottom - PAD.top) * v) / top;
    const svg = svgFor(height, title);
    const f = frame(svg, height, days, ticks, y, (v) => percent(v, digits + 1), axis, RATE_RIGHT);
    const bar = Math.min(f.band * 0.6, 30);
    rep.days.forEach((d, i) => {
      const tip = t('report.tip_rate', { day: dayLabel(d.day), rate: percent(d[rateKey], digits + 2), volume: number(d.volume) });
      node(node(svg, 'rect', { x: f.x(i) - bar / 2, y: y(d[rateKey]), width: bar, height: y(0) - y(d[rateKey]), class: `bar-${which}` }), 'title', {}, tip);
    });
    for (const [value, cls, key] of [[ses, 'limit-ses', 'report.ses_line'], [pause, 'limit-pause', 'report.pause_line']]) {
      node(svg, 'line', { x1: PAD.left, x2: f.right, y1: y(value), y2: y(value), class: cls });
      node(svg, 'text', { x: f.right + 6, y: y(value) + 4, class: `limit-label ${cls}` }, t(key, { rate: percent(value, digits + 1) }));
    }
    legend(svg, height, [[title, `bar-${which}`, 'bar'], [t('report.ses_legend'), 'limit-ses', 'line'], [t('report.pause_legend'), 'limit-pause', 'line']]);
    return svg;
  }

  // -- the dialog --------------------------------------------------------------------
  function table(headers, rows) {
    return el('table', { className: 'staff-list report-table' },
      el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { text: h })))),
      el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', { text: c }))))));
  }
  const sla = (s) => (s.total ? t('report.sla_value', { met: number(s.met), total: number(s.total), rate: percent(s.rate, 0) }) : '–');

  function tile(label, value, id) {
    return el('div', { className: 'report-tile', dataset: { figure: id } }, el('span', { className: 'muted', text: label }), el('strong', { text: value }));
  }

  function render(report) {
    const totals = report.totals;
    const body = $('#reports-body', dialog);
    const section = (title, ...content) => el('section', { className: 'report-section' }, el('h3', { text: title }), ...content);
    body.replaceChildren(
      el('div', { className: 'report-tiles' },
        tile(t('report.in'), number(totals.in), 'in'),
        tile(t('report.solved'), number(totals.solved), 'solved'),
        tile(t('report.backlog_end'), number(totals.backlog), 'backlog'),
        tile(t('report.first_response'), pair(totals.first_response), 'first_response'),
        tile(t('report.resolution'), pair(totals.resolution), 'resolution'),
        tile(t('report.sla'), sla(totals.sla), 'sla')),
      section(t('report.chart_volume'), volumeChart(report)),
      section(t('report.chart_times'), timesChart(report), el('p', { className: 'muted report-note', text: t('report.bucket_note') })),
      section(t('report.per_mailbox'), table(
        [t('report.mailbox'), t('report.in'), t('report.solved'), t('report.backlog_end'), t('report.fr_pair'), t('report.rs_pair'), t('report.sla')],
        report.per_mailbox.map((m) => [m.mailbox, number(m.in), number(m.solved), number(m.backlog), pair(m.first_response), pair(m.resolution), sla(m.sla)]))),
      section(t('report.per_agent'), report.per_agent.length
        ? table(
          [t('report.agent'), t('report.solved'), t('report.first_replies'), t('report.fr_pair'), t('report.rs_pair')],
          report.per_agent.map((a) => [a.agent, number(a.solved), number(a.first_response.count), pair(a.first_response), pair(a.resolution)]))
        : el('p', { className: 'muted', text: t('report.no_agents') })),
      section(t('report.reputation'),
        el('div', { className: 'report-pair' }, rateChart(report.reputation, 'bounce'), rateChart(report.reputation, 'complaint')),
        el('p', { className: 'muted report-note', text: t('report.reputation_note') })));
    // A phone shows a chart's part and swipes for the rest: the newest days, the ones asked
    // about, at the right end come first (at 390 px today's mail was off screen).
    for (const box of body.querySelectorAll('.report-section')) {
      if (box.querySelector('svg.report-chart') && box.scrollWidth > box.clientWidth) box.scrollLeft = box.scrollWidth;
    }
  }

  // Each load is numbered: only the newest one's answer is drawn. A slow answer for an
  // earlier range or mailbox would otherwise arrive last and replace the one asked for.
  let asked = 0;

  async function load() {
    const form = $('#reports-form', dialog);
    const alert = $('.alert', dialog);
    alert.hidden = true;
    const [from, to] = ['from', 'to'].map((name) => readDay(form.elements[name].value));
    for (const [name, value] of [['from', from], ['to', to]]) {
      if (value) continue;
      form.elements[name].setCustomValidity(t('day.invalid', { example: day(isoDay(new Date())) }));
      form.elements[name].reportValidity();
      return;
    }
    const params = new URLSearchParams({ from, to });
    if (form.elements.mailbox.value) params.set('mailbox', form.elements.mailbox.value);
    const mine = ++asked;
    $('#reports-body', dialog).setAttribute('aria-busy', 'true');
    try {
      const { data } = await api('GET', `reports?${params}`);
      if (mine !== asked) return;
      render(data);
    } catch (err) {
      if (mine !== asked) return;
      showAlert(alert, err);
    }
    $('#reports-body', dialog).removeAttribute('aria-busy');
  }

  /* A day in the console's language (i18n.js day/readDay), not <input type=date>: Chromium
     draws that in the browser's locale, US order on a German page. */
  function dayField(name, iso) {
    return el('input', {
      type: 'text', name, required: true, value: day(iso), className: 'day-field',
      attrs: { inputmode: 'numeric', autocomplete: 'off', size: 10, title: t('day.title', { example: day(iso) }) },
      on: { input: (e) => e.target.setCustomValidity('') },
    });
  }

  function open() {
    const today = new Date();
    const boxes = [...$('#mailbox').options].map((o) => o.value).filter(Boolean);
    const form = el('form', { id: 'reports-form', className: 'report-form', on: { submit: (e) => { e.preventDefault(); load(); } } },
      el('label', {}, t('report.from'), dayField('from', isoDay(new Date(today.getTime() - 13 * DAY_MS)))),
      el('label', {}, t('report.to'), dayField('to', isoDay(today))),
      el('label', {}, t('report.mailbox'), el('select', { name: 'mailbox' },
        el('option', { value: '', text: t('report.all_mailboxes') }), ...boxes.map((b) => el('option', { value: b, text: b })))),
      el('button', { type: 'submit', className: 'primary', text: t('report.show') }));
    dialog.replaceChildren(
      el('h2', { text: t('report.title') }),
      form,
      el('p', { className: 'alert', attrs: { role: 'alert' }, hidden: true }),
      el('div', { id: 'reports-body', className: 'report-body' }),
      el('div', { className: 'dialog-bar' }, el('button', { type: 'button', text: t('report.close'), on: { click: () => dialog.close() } })));
    if (!dialog.open) dialog.showModal();
    load();
  }

  function sync() { button.hidden = $('#desk-tools').hidden; if (button.hidden && dialog.open) dialog.close(); }
  button.addEventListener('click', open);
  $('#sign-out').before(button);
  document.body.append(dialog);
  new MutationObserver(sync).observe($('#desk-tools'), { attributes: true, attributeFilter: ['hidden'] });
  sync();
};
