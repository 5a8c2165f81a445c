/* inbound staff console: languages. Every visible string of the console comes from one
 * catalogue (i18n-en.js, i18n-de.js: one table per language, loaded before this file), and
 * one language setting drives every string, relative time and date on the page: there is
 * no other formatter (a bare `new Intl.DateTimeFormat()` would follow the browser's locale
 * and mix "vor 4 Minuten" into an English page).
 *
 * Use from any console script, loaded after this one:
 *   const { t, tNodes, when, ago, count } = window.InboundI18n;
 *   t('queue.opened', { ago: ago(iso) })            -> "opened 4 minutes ago"
 *   day('2026-11-23') -> "23.11.2026" in German; readDay('23.11.2026') -> '2026-11-23' (null: no day)
 *   t('queue.messages', { count: 3 })               -> "3 messages" (plural by Intl.PluralRules)
 *   tNodes('ticket.none_open', { 0: kbdNode })     -> text and nodes, for strings with markup
 * Static HTML says `data-i18n="key"` (its text; `{0}`, `{1}`... stand for the element's own
 * child elements, e.g. a <kbd>) and `data-i18n-title` / `-placeholder` / `-aria-label`.
 *
 * A table entry is a string with `{name}` placeholders, or for counts an object of plural
 * categories (`one`, `other`; Intl.PluralRules picks by `count`). A key missing in the
 * chosen language shows the English text (and the German browser test fails on it); a key
 * missing everywhere shows the key. tests/unit/test_console_catalogue.py holds both tables
 * to the same keys, placeholders and plural forms, and every key the scripts ask for to
 * the tables.
 *
 * The choice: the agent's own (kept per agent in localStorage), else the last one chosen in
 * this browser, else the first of the browser's languages the console speaks, else English;
 * a language chosen on the sign-in page becomes the agent's own who signs in next.
 * Choosing another reloads the page (the address, drafts and sign-in survive a reload), so
 * no string of the old language can stay behind on the screen.
 */
'use strict';

window.InboundI18n = (() => {
  const TABLES = window.InboundStrings || {};
  const LANGUAGES = ['en', 'de'];
  const FALLBACK = 'en';
  const CHOSEN_KEY = 'inbound.console.language'; // this browser's last choice
  const AGENT_PREFIX = 'inbound.console.language:'; // the agent's own, by address
  const UNCLAIMED_KEY = 'inbound.console.language.unclaimed'; // chosen on the sign-in page

  function stored(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }

  function store(key, value) {
    try { localStorage.setItem(key, value); } catch (e) { /* refused: this page only */ }
  }

  function spoken(tag) {
    const code = String(tag || '').toLowerCase().split('-')[0];
    return LANGUAGES.includes(code) ? code : null;
  }

  function browserLanguage() {
    for (const tag of navigator.languages || [navigator.language]) if (spoken(tag)) return spoken(tag);
    return FALLBACK;
  }

  const lang = spoken(stored(CHOSEN_KEY)) || browserLanguage();
  // Dates and numbers in the chosen language, with the browser's region when it speaks the
  // same language (en-GB writes 7 Dec, en-US Dec 7); never the browser's language instead.
  const region = (navigator.languages || [navigator.language]).find((tag) => spoken(tag) === lang);
  const locale = Intl.DateTimeFormat.supportedLocalesOf([region || lang, lang])[0] || lang;
  const plurals = new Intl.PluralRules(locale);
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const numbers = new Intl.NumberFormat(locale);

  function entry(key) {
    const own = (TABLES[lang] || {})[key];
    return own !== undefined ? own : (TABLES[FALLBACK] || {})[key];
  }

  function pick(value, params) {
    if (value === undefined) return null;
    if (typeof value === 'string') return value;
    return value[plurals.select(Number(params.count))] ?? value.other;
  }

  /* The template's text split at its placeholders: [text, name, text, name, ..., text]. */
  function pieces(key, params) {
    const template = pick(entry(key), params);
    return template === null ? [key] : template.split(/\{(\w+)\}/);
  }

  function shown(name, params) {
    const value = params[name];
    if (value === undefined || value === null) return `{${name}}`;
    return name === 'count' && typeof value === 'number' ? numbers.format(value) : String(value);
  }

  /* The string for `key` in the chosen language, `{name}` filled from `params`. */
  function t(key, params = {}) {
    return pieces(key, params).map((part, n) => (n % 2 ? shown(part, params) : part)).join('');
  }

  /* The same as a list of text and nodes: a placeholder may be a node (a <kbd>, a link). */
  function tNodes(key, params = {}) {
    return pieces(key, params)
      .map((part, n) => {
        if (!(n % 2)) return part;
        return params[part] instanceof Node ? params[part] : shown(part, params);
      })
      .filter((part) => part !== '');
  }

  function when(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : dateTime.format(d);
  }

  function ago(iso) {
    const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
    if (Number.isNaN(seconds)) return '';
    for (const [unit, size] of [['day', 86400], ['hour', 3600], ['minute', 60]]) {
      if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
    }
    return t('time.just_now');
  }

  /* A calendar day (YYYY-MM-DD) as the language writes it in a form field ("23.11.2026",
     "11/23/2026"), and back. Chromium draws <input type=date> in the browser's locale
     whatever the page's lang says, so a German page showed 11/23/2026: the console's day
     fields are text fields in the chosen language that also take YYYY-MM-DD. */
  const dayFormat = new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' });
  const dayOrder = dayFormat.formatToParts(new Date(Date.UTC(2026, 10, 23)))
    .map((p) => p.type).filter((type) => ['day', 'month', 'year'].includes(type));

  function day(iso) {
    const d = new Date(`${iso}T00:00:00Z`);
    return Number.isNaN(d.getTime()) ? '' : dayFormat.format(d);
  }

  function readDay(text) {
    const value = String(text || '').trim();
    const digits = /^\d{4}-\d{1,2}-\d{1,2}$/.test(value) ? value.split('-') : value.match(/\d+/g) || [];
    if (digits.length !== 3) return null;
    const order = /^\d{4}-/.test(value) ? ['year', 'month', 'day'] : dayOrder;
    const part = Object.fromEntries(order.map((type, n) => [type, Number(digits[n])]));
    const d = new Date(Date.UTC(part.year, part.month - 1, part.day));
    const ok = part.year >= 1000 && d.getUTCFullYear() === part.year && d.getUTCMonth() === part.month - 1 && d.getUTCDate() === part.day;
    return ok ? d.toISOString().slice(0, 10) : null;
  }

  function number(n, options) {
    return options ? new Intl.NumberFormat(locale, options).format(n) : numbers.format(n);
  }

  function bytes(n) {
    if (n < 1024) return t('size.bytes', { n: number(n) });
    if (n < 1024 * 1024) return t('size.kb', { n: number(n / 1024, { maximumFractionDigits: 0 }) });
    return t('size.mb', { n: number(n / 1024 / 1024, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) });
  }

  /* What went wrong, for the agent: the server's own words in English (they are the most
     precise); in another language the catalogue's sentence for the error's code (the API's
     stable `error` field: chalicelib/api/http_io.py, the guard's refusal reasons, the
     sign-in's codes), with the server's words left in the alert's title; or, for the codes
     below, the server's own line when the catalogue has its template under the prefix. */
  const SERVER_LINES = { stale: 'stale.', invalid_request: 'invalid.' };
  function reason(err) {
    const key = `error.${err.code}`;
    if (lang === FALLBACK || (TABLES[lang] || {})[key] === undefined) return err.reason || String(err);
    // A line the catalogue knows is said in full (a stale reply's who and when, what an
    // invalid request lacks): the server's line read back; else the code's own sentence
    const prefix = SERVER_LINES[err.code];
    const said = prefix && err.reason ? readBack(prefix, err.reason) : null;
    if (said && said !== err.reason) return said;
    return t(key, { ...(err.data || {}) });
  }

  // How long ago, as domain/collisions.py writes it: "just now", "40 s ago", "3 min ago", "2 h ago"
  const SERVER_AGO = /^(just now|(\d+) (s|min|h) ago)$/;
  function serverAgo(text) {
    const [, , n, unit] = SERVER_AGO.exec(text);
    if (!n || unit === 's') return t('time.just_now'); // as ago() says anything under a minute
    return relative.format(-Number(n), unit === 'min' ? 'minute' : 'hour');
  }

  /* Why a reply was not sent (the audit line's reason, services/outbound.py): a stale
     reply's line read back; a guard's refusal ("suppressed (…)") in another language the
     sentence of its code, without the server's English detail. */
  function whyNotSent(line) {
    const said = readBack('stale.', line);
    return said !== line ? said : refusalLine(line);
  }

  /* A refusal the server wrote as "<code> (<detail>)" (a reply not sent) or "<code>: <detail>"
     (an announcement's recipient, services/announcement_sending.py): in another language
     the sentence of its code, without the server's English detail; else as written. */
  function refusalLine(line) {
    if (lang === FALLBACK) return line;
    const code = /^([a-z_]+)(?: \(|: )/.exec(line);
    return code && (TABLES[lang] || {})[`error.${code[1]}`] !== undefined ? t(`error.${code[1]}`) : line;
  }

  /* A sent reply's warnings (services/outbound.py: "; "-joined: a Cc left out and why, the
     sending reputation), each said in the chosen language where a warning.* template
     says it; any other part (an inbound mail's notes) as written. */
  function warnings(line) {
    return String(line || '').split('; ').map((part) => readBack('warning.', part)).join('; ');
  }

  /* A message's notes line: an incoming mail's notes (services/ticket_filing.py: why its
     Cc were not added, why it did not join a ticket) each by its stored code in the chosen
     language where the catalogue has `note.<code>`, any other as the server wrote it; a
     message without coded notes (a reply's warnings, mail stored before notes kept codes)
     its `reason` as warnings() says it. "; "-joined, '' when there is none. */
  function notes(m) {
    const coded = m.notes || [];
    if (!coded.length) return warnings(m.reason || '');
    const said = (n) => {
      const data = { ...(n.data || {}) };
      if (data.trust) data.trust = readBack('trust.', data.trust); // sender_trust's English reason
      return t(`note.${n.code}`, data);
    };
    return coded.map((n) => (n.code && entry(`note.${n.code}`) !== undefined ? said(n) : n.text)).join('; ');
  }

  /* Lines the server writes in English (the audit trail, domain/audit.py), said in the
     chosen language: the line is matched against each English template under `prefix`
     (the longest first, so "assigned to {agent} (was {was})" wins over "assigned to
     {agent}") and said again with the same values; a value named `*_status` or
     `*_priority` is itself translated, and one named `at` (a UTC time the server wrote as
     "2026-12-07 17:03") is formatted as every date is, one named `ago` (domain/collisions.py's
     "3 min ago") says it in the language, and one named `why` (a reply not sent) is said as
     whyNotSent says it. A line no template matches is shown as written. English lines are
     read back too, for their dates. */
  function readBack(prefix, text) {
    const english = TABLES[FALLBACK] || {};
    const templates = Object.keys(english).filter((key) => key.startsWith(prefix))
      .flatMap((key) => (typeof english[key] === 'string' ? [english[key]] : Object.values(english[key])).map((form) => [key, form]))
      .sort((a, b) => b[1].length - a[1].length);
    for (const [key, form] of templates) {
      const names = [];
      const pattern = form.split(/\{(\w+)\}/).map((part, n) => {
        if (!(n % 2)) return part.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
        names.push(part);
        return '(.+?)';
      }).join('');
      const found = new RegExp(`^${pattern}$`, 's').exec(text);
      if (!found) continue;
      const params = {};
      names.forEach((name, n) => {
        const value = found[n + 1];
        if (name.endsWith('_status')) params[name] = t(`status.${value}`);
        else if (name.endsWith('_priority')) params[name] = t(`priority.${value}`);
        else if (name === 'at' && /^\d{4}-\d\d-\d\d \d\d:\d\d$/.test(value)) params[name] = when(`${value.replace(' ', 'T')}Z`);
        else if (name === 'ago' && lang !== FALLBACK && SERVER_AGO.test(value)) params[name] = serverAgo(value);
        else if (name === 'why') params[name] = whyNotSent(value);
        else params[name] = name === 'count' ? Number(value) : value;
      });
      return t(key, params);
    }
    return text;
  }

  const ATTRIBUTES = { i18nTitle: 'title', i18nPlaceholder: 'placeholder', i18nAriaLabel: 'aria-label' };

  /* The page's own words (index.html), and those of any markup added later with the same
     data-i18n attributes: call again with the new root. */
  function translate(root = document) {
    const marked = root.querySelectorAll('[data-i18n], [data-i18n-title], [data-i18n-placeholder], [data-i18n-aria-label]');
    for (const node of marked) {
      if (node.dataset.i18n) {
        const own = Object.fromEntries([...node.children].map((child, n) => [n, child]));
        node.replaceChildren(...tNodes(node.dataset.i18n, own));
      }
      for (const [data, attribute] of Object.entries(ATTRIBUTES)) {
        if (node.dataset[data]) node.setAttribute(attribute, t(node.dataset[data]));
      }
    }
  }

  /* At sign-in: a language chosen on the sign-in page becomes the agent's own; else the
     agent's own choice wins over this browser's (a different one reloads the page). */
  function forAgent(email) {
    if (stored(UNCLAIMED_KEY)) {
      try { localStorage.removeItem(UNCLAIMED_KEY); } catch (e) { /* refused: nothing kept */ }
      choose(lang, email);
      return;
    }
    const own = spoken(stored(AGENT_PREFIX + String(email || '').toLowerCase()));
    if (own && own !== lang) choose(own, email);
  }

  function choose(code, email) {
    if (!spoken(code)) return;
    store(CHOSEN_KEY, code);
    if (email) store(AGENT_PREFIX + String(email).toLowerCase(), code);
    else store(UNCLAIMED_KEY, '1');
    // Only when kept: a reload that came back in the old language would ask again, forever.
    if (code !== lang && stored(CHOSEN_KEY) === code) location.reload();
  }

  /* The language menu of the top bar: each language named in its own words. */
  function picker(email) {
    const select = document.createElement('select');
    select.id = 'language';
    select.setAttribute('aria-label', t('language.choose'));
    select.title = t('language.choose');
    for (const code of LANGUAGES) {
      const option = new Option(TABLES[code] ? TABLES[code]['language.short'] : code, code, false, code === lang);
      option.title = TABLES[code] ? TABLES[code]['language.name'] : code;
      select.append(option);
    }
    select.addEventListener('change', () => choose(select.value, email()));
    return select;
  }

  document.documentElement.lang = lang;
  translate();

  return { t, tNodes, when, ago, day, readDay, number, bytes, reason, readBack, refusalLine, warnings, notes, translate, forAgent, choose, picker, lang, locale, LANGUAGES };
})();
