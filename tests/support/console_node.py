"""A console script run in node on a minimal page, for the unit tests of the console's
scripts (chalicelib/console/static): i18n.js with both tables, then the script; `driver`
(JavaScript) builds the script's desk, acts as the agent would and writes what the page
shows as JSON on stdout. No browser, no network: `api` and `fetch` are the driver's.

The page: `node(tag)` elements that keep their children, text, attributes and listeners
(`fire(node, type, event)` calls them); `el(tag, opts, ...kids)` as console.js builds them;
`$(selector)` finds `#id` or `.class` among the elements made; `toasts` collects what
`toast` said; `apiError(status, code, reason)` is the ApiError console.js throws."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.support.console_catalogue import STATIC

NODE = shutil.which("node")

PAGE = r"""
const fs = require('fs');
const [dir, language, ...scripts] = process.argv.slice(1); // node -e: no script path
const made = [];
const node = (tag) => {
  const n = { tag, text: '', children: [], hidden: false, attrs: {}, listeners: {}, dataset: {}, style: {},
    className: '', id: '', value: '',
    replaceChildren(...kids) { this.children = kids.filter((k) => k != null); },
    append(...kids) { this.children.push(...kids.filter((k) => k != null)); },
    prepend(...kids) { this.children.unshift(...kids.filter((k) => k != null)); },
    after(...kids) { this.siblings = kids; }, before() {}, remove() {},
    insertBefore(kid) { this.children.push(kid); },
    get lastElementChild() { return this.children[this.children.length - 1] || null; },
    setAttribute(k, v) { this.attrs[k] = String(v); }, getAttribute(k) { return this.attrs[k] ?? null; },
    removeAttribute(k) { delete this.attrs[k]; },
    addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); },
    dispatchEvent() { return true; }, focus() {}, click() {}, scrollIntoView() {}, showModal() {}, close() {},
    querySelectorAll: () => [], classList: { add() {}, remove() {}, toggle() {}, contains: () => false },
    set textContent(v) { this.text = String(v); }, get textContent() { return this.text; },
  };
  made.push(n);
  return n;
};
const fire = async (n, type, event = {}) => { for (const fn of n.listeners[type] || []) await fn(event); };
const el = (tag, opts = {}, ...kids) => {
  const n = node(tag);
  const { on, attrs, dataset, text, ...rest } = opts;
  Object.assign(n, rest);
  n.text = text === undefined ? '' : String(text);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) n.setAttribute(k, v);
  Object.assign(n.dataset, dataset || {});
  for (const [type, fn] of Object.entries(on || {})) n.addEventListener(type, fn);
  n.append(...kids.flat().map((k) => (typeof k === 'string' ? Object.assign(node('#text'), { text: k }) : k)));
  return n;
};
const $ = (selector) => made.find((n) => (selector[0] === '#' ? n.id === selector.slice(1)
  : selector[0] === '.' ? n.className.split(' ').includes(selector.slice(1)) : n.tag === selector)) || null;
const said = (n) => (n.tag === '#text' ? n.text : n.text + n.children.map(said).join(''));
const toasts = [];
const apiError = (status, code, reason) => Object.assign(new Error(reason), { status, code, reason, data: {} });
globalThis.window = globalThis;
globalThis.navigator = { languages: [language], language };
globalThis.localStorage = { getItem: () => null, setItem() {}, removeItem() {} };
globalThis.document = { documentElement: {}, querySelectorAll: () => [], body: node('body') };
globalThis.MutationObserver = class { observe() {} };
for (const file of ['i18n-en.js', 'i18n-de.js', 'i18n.js', ...scripts]) eval(fs.readFileSync(`${dir}/${file}`, 'utf8'));
const { t } = window.InboundI18n;
const done = (shown) => { process.stdout.write(JSON.stringify(shown)); process.exit(0); };
"""


def run(language: str, scripts: list[str], driver: str, env: dict[str, str] | None = None) -> object:
    """What `driver` passed to `done(...)`, after i18n.js and `scripts` ran in `language`."""
    if NODE is None:
        pytest.skip("node is not installed")
    finished = subprocess.run(
        [NODE, "-e", PAGE + driver, str(STATIC), language, *scripts],
        capture_output=True,
        text=True,
        timeout=30,
        env={**(env or {}), "PATH": ""},
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)
