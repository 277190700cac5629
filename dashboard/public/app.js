// @ts-check
// The kots dashboard page: logs in, loads a snapshot, then follows the server's
// event stream (/api/stream). Every value from the server is written with
// textContent or SVG attributes, never as HTML. tsc checks this file
// (// @ts-check): the JSON it reads is typed with the server's own types.
import { SVG_NS, weatherIcon } from './icons.js';

/** @import { CityTile, DeviceRow, FeedEvent, LiveSnapshot } from '../live-state.js' */
/** @import { CitySeries, EventHeatmap } from '../history.js' */
/** @import { Operator } from '../operators.js' */

/** @typedef {LiveSnapshot & { eventNames: string[]; periods: string[] }} SnapshotBody what GET /api/snapshot answers */

/**
 * The element of index.html with this id, checked to be of the expected class:
 * a missing one is a bug in the page, worth an error that names it.
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @param {{ new (): T }} [type]
 * @returns {T}
 */
function $(id, type) {
  const node = document.getElementById(id);
  if (!node || (type && !(node instanceof type))) throw new Error(`index.html lacks the expected element #${id}`);
  return /** @type {T} */ (node);
}

/**
 * @typedef {object} PageState
 * @property {Operator | undefined} user
 * @property {Map<string, CityTile>} cities
 * @property {Map<string, DeviceRow>} devices
 * @property {FeedEvent[]} events
 * @property {string[]} eventNames
 * @property {string[]} periods
 * @property {string} period
 * @property {string} chartCity
 * @property {number} silentAfterSeconds
 * @property {EventSource | undefined} stream
 * @property {uPlot[]} charts
 * @property {CitySeries | undefined} series
 */

/** @type {PageState} */
const state = {
  user: undefined,
  cities: new Map(),
  devices: new Map(),
  events: [],
  eventNames: [],
  periods: ['1h', '6h', '24h', '7d', '30d'],
  period: '1h',
  chartCity: '',
  silentAfterSeconds: 120,
  stream: undefined,
  charts: [],
  series: undefined,
};

// ---------- helpers ----------

/**
 * An HTML element: `class`, `text` (as textContent), `data-*` attributes, or element properties (type, title, value, colSpan).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean>} [props]
 * @param {...(Node | string | null | undefined)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = String(value);
    else if (key === 'text') node.textContent = String(value);
    else if (key.startsWith('data-')) node.setAttribute(key, String(value));
    else Object.assign(node, { [key]: value });
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

/**
 * An SVG element with attributes and optional text.
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {string} [text]
 * @returns {SVGElement}
 */
function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Calls the dashboard server; the caller names the type of the answer.
 * @param {string} path
 * @param {RequestInit} [options]
 * @returns {Promise<unknown>}
 */
async function api(path, options = {}) {
  const response = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json', ...(options.headers ?? {}) }, ...options });
  if (response.status === 401 && path !== '/api/login') {
    showLogin();
    throw new Error('not logged in');
  }
  /** @type {unknown} */
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(/** @type {{ error?: string }} */ (body).error ?? `HTTP ${response.status}`);
  return body;
}

/**
 * Lets a loader run on: loaders show their own failures on the page, so what
 * reaches here is a bug, and it goes to the console instead of vanishing.
 * @param {Promise<void>} loading
 */
function inBackground(loading) {
  loading.catch((error) => console.error('dashboard: unexpected failure', error));
}

/** @param {unknown} error */
const errorText = (error) => (error instanceof Error ? error.message : String(error));

/** @param {string | undefined} iso */
function ago(iso) {
  if (!iso) return '—';
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

/** @param {number | null | undefined} value */
const fmt = (value, digits = 1) => (value === null || value === undefined ? '—' : Number(value).toFixed(digits));

/** @typedef {readonly [number, readonly number[]]} TempStop a temperature in °C and the RGB colour there */
/** @type {readonly TempStop[]} coldest first */
const TEMP_STOPS = [
  [-30, [120, 160, 255]],
  [0, [108, 195, 255]],
  [15, [120, 220, 170]],
  [25, [244, 184, 96]],
  [40, [239, 91, 91]],
];

/** @param {number | null | undefined} c */
function tempColour(c) {
  if (c === null || c === undefined) return '#8da2bd';
  /** @type {TempStop | undefined} */
  let below;
  for (const [t2, b] of TEMP_STOPS) {
    if (c <= t2) {
      if (!below) return `rgb(${b})`;
      const [t1, a] = below;
      const f = (c - t1) / (t2 - t1);
      return `rgb(${a.map((v, k) => Math.round(v + ((b[k] ?? v) - v) * f)).join(',')})`;
    }
    below = [t2, b];
  }
  return `rgb(${below?.[1] ?? ''})`;
}

// ---------- login ----------

function showLogin(message = '') {
  stopStream();
  $('app').hidden = true;
  $('session').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = message;
  $('username').focus();
}

$('login-form').addEventListener('submit', async (submit) => {
  submit.preventDefault();
  $('login-error').textContent = '';
  $('login-submit', HTMLButtonElement).disabled = true;
  /** @type {{ user: Operator }} */
  let body;
  try {
    body = /** @type {{ user: Operator }} */ (
      await api('/api/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: $('username', HTMLInputElement).value, password: $('password', HTMLInputElement).value }),
      })
    );
    $('password', HTMLInputElement).value = '';
  } catch (error) {
    $('login-error').textContent = errorText(error);
    return;
  } finally {
    $('login-submit', HTMLButtonElement).disabled = false;
  }
  await start(body.user);
});

$('logout').addEventListener('click', async () => {
  await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => undefined);
  showLogin();
});

// ---------- start ----------

/** @param {Operator} user */
async function start(user) {
  state.user = user;
  $('user').textContent = user.name;
  $('login-view').hidden = true;
  $('session').hidden = false;
  $('app').hidden = false;
  try {
    await loadSnapshot();
  } catch (error) {
    console.error('snapshot failed', error);
  }
  openStream();
  await Promise.all([loadHistory(), loadHeatmap()]);
}

async function loadSnapshot() {
  const snap = /** @type {SnapshotBody} */ (await api('/api/snapshot'));
  state.silentAfterSeconds = snap.silentAfterSeconds;
  state.eventNames = snap.eventNames;
  state.periods = snap.periods;
  state.cities = new Map(snap.cities.map((c) => [c.slug, c]));
  state.devices = new Map(snap.devices.map((d) => [d.deviceId, d]));
  state.events = snap.events;
  if (!state.chartCity || !state.cities.has(state.chartCity)) state.chartCity = [...state.cities.keys()][0] ?? '';
  renderControls();
  renderTiles();
  renderFeed();
  renderFleet();
  renderMap();
}

// ---------- live stream ----------

/**
 * @param {'on' | 'off'} mode
 * @param {string} text
 */
function setLive(mode, text) {
  $('live').className = `live ${mode}`;
  $('live-text').textContent = text;
}

function stopStream() {
  state.stream?.close();
  state.stream = undefined;
}

function openStream() {
  stopStream();
  const stream = new EventSource('/api/stream');
  state.stream = stream;
  let opened = false;
  stream.addEventListener('hello', () => {
    setLive('on', 'live');
    // After a reconnect, what was missed is in a fresh snapshot.
    if (opened) loadSnapshot().catch(() => undefined);
    opened = true;
  });
  stream.addEventListener('city', (message) => {
    /** @type {CityTile} */
    const tile = JSON.parse(message.data);
    const isNew = !state.cities.has(tile.slug);
    state.cities.set(tile.slug, tile);
    if (isNew) {
      renderControls();
      renderTiles();
    } else updateTile(tile);
    renderMapCity(tile);
  });
  stream.addEventListener('device', (message) => {
    /** @type {DeviceRow} */
    const row = JSON.parse(message.data);
    state.devices.set(row.deviceId, row);
    scheduleFleet();
  });
  stream.addEventListener('event', (message) => {
    /** @type {FeedEvent} */
    const event = JSON.parse(message.data);
    if (state.events.some((e) => e.readingId === event.readingId)) return;
    state.events.unshift(event);
    state.events.length = Math.min(state.events.length, 200);
    renderFeed(event.readingId);
    if (event.city === state.chartCity) addChartEvent(event);
  });
  stream.addEventListener('error', async () => {
    setLive('off', 'reconnecting');
    if (stream.readyState === EventSource.CLOSED) {
      // EventSource gives up on an HTTP error such as 401: ask whether the session is still there.
      try {
        await api('/api/session');
        setTimeout(openStream, 2000);
      } catch {
        /* showLogin already ran */
      }
    }
  });
}

// ---------- city tiles ----------

/** @param {number} deg */
function windArrow(deg) {
  const arrow = el('span', { class: 'wind-arrow', text: '↓', title: `from ${Math.round(deg)}°` });
  // Meteorological degrees say where the wind comes from; the arrow points where it goes.
  arrow.style.transform = `rotate(${deg}deg)`;
  return arrow;
}

/** @param {CityTile} city */
function tileNode(city) {
  const c = city.current;
  const node = el('button', { type: 'button', class: `tile${city.slug === state.chartCity ? ' selected' : ''}`, 'data-city': city.slug });
  node.addEventListener('click', () => selectChartCity(city.slug));
  const title = el(
    'div',
    {},
    el('span', { class: 'tile-name', text: city.name }),
    city.country ? el('span', { class: 'tile-country', text: city.country }) : null,
  );
  const devices = el('span', {
    class: `pill ${city.devices.total === 0 ? 'none' : city.devices.online === city.devices.total ? 'ok' : city.devices.online === 0 ? 'bad' : 'warn'}`,
    text: `${city.devices.online}/${city.devices.total} online`,
    title: 'devices online / total',
  });
  node.append(
    el('div', { class: 'tile-top' }, el('div', {}, title, el('div', { class: 'tile-desc', text: c?.description ?? 'waiting for a reading' })), devices),
  );
  const temp = el('span', { class: 'tile-temp', text: c ? `${fmt(c.tempC)}°C` : '—' });
  if (c) temp.style.color = tempColour(c.tempC);
  node.append(el('div', { class: 'tile-main' }, el('span', { class: 'tile-icon' }, weatherIcon(c?.icon, c?.description ?? 'no data')), temp));
  const stats = el('div', { class: 'tile-stats' });
  stats.append(
    el('span', { title: 'wind' }, 'wind ', el('b', { text: c ? `${fmt(c.windMs)} m/s` : '—' }), ' ', c?.windDeg != null ? windArrow(c.windDeg) : null),
    el('span', { title: 'cloud cover' }, 'clouds ', el('b', { text: c?.cloudsPct != null ? `${Math.round(c.cloudsPct)}%` : '—' })),
    el('span', { title: 'humidity' }, 'hum ', el('b', { text: c?.humidityPct != null ? `${Math.round(c.humidityPct)}%` : '—' })),
  );
  node.append(stats);
  const latest = city.latestEvent;
  node.append(el('div', { class: 'tile-event', text: latest ? `⚡ ${latest.eventName}` : '', title: latest ? latest.newsflash : 'no surreal event yet' }));
  node.append(
    el(
      'div',
      { class: 'tile-foot' },
      el('span', { class: 'readings-hour', text: `${city.readingsLastHour} readings / h` }),
      el('span', { text: c ? ago(c.observedAt) : '' }),
    ),
  );
  return node;
}

function renderTiles() {
  const tiles = $('tiles');
  tiles.replaceChildren(...[...state.cities.values()].map(tileNode));
  renderFleetSummary();
}

/** @param {CityTile} city */
function updateTile(city) {
  const old = document.querySelector(`.tile[data-city="${CSS.escape(city.slug)}"]`);
  const fresh = tileNode(city);
  if (old) {
    old.replaceWith(fresh);
    fresh.classList.add('flash');
  } else $('tiles').append(fresh);
  renderFleetSummary();
}

function renderFleetSummary() {
  let online = 0;
  let total = 0;
  for (const d of state.devices.values()) {
    total++;
    if (d.status === 'online') online++;
  }
  $('fleet-summary').textContent = `${state.cities.size} cities · ${online}/${total} devices online`;
}

// ---------- event feed ----------

function renderControls() {
  const citySelects = [$('chart-city', HTMLSelectElement), $('feed-city', HTMLSelectElement)];
  const cities = [...state.cities.values()];
  for (const select of citySelects) {
    const keep = select.value;
    const first = select.id === 'feed-city' ? [el('option', { value: '', text: 'All cities' })] : [];
    select.replaceChildren(...first, ...cities.map((c) => el('option', { value: c.slug, text: c.name })));
    select.value = select.id === 'chart-city' ? state.chartCity : keep;
  }
  const eventSelect = $('feed-event', HTMLSelectElement);
  if (eventSelect.options.length <= 1) eventSelect.append(...state.eventNames.map((name) => el('option', { value: name, text: name })));
  $('periods').replaceChildren(
    ...state.periods.map((p) => {
      const button = el('button', { type: 'button', text: p, 'data-period': p });
      button.setAttribute('aria-pressed', String(p === state.period));
      button.addEventListener('click', () => selectPeriod(p));
      return button;
    }),
  );
}

$('feed-city').addEventListener('change', () => renderFeed());
$('feed-event').addEventListener('change', () => renderFeed());

/** @param {string} [newId] the reading id of an event that just arrived, highlighted */
function renderFeed(newId) {
  const city = $('feed-city', HTMLSelectElement).value;
  const name = $('feed-event', HTMLSelectElement).value;
  const shown = state.events.filter((e) => (!city || e.city === city) && (!name || e.eventName === name));
  $('feed-count').textContent = String(shown.length);
  const feed = $('feed');
  if (shown.length === 0) {
    feed.replaceChildren(
      el('li', { class: 'empty', text: state.events.length ? 'No event matches the filter.' : 'No surreal event yet. They appear here as they happen.' }),
    );
    return;
  }
  feed.replaceChildren(
    ...shown.slice(0, 100).map((e) => {
      const item = el(
        'li',
        { class: e.readingId === newId ? 'new' : '', 'data-id': e.readingId, 'data-event': e.eventName, 'data-city': e.city },
        el(
          'div',
          { class: 'meta' },
          el('span', { class: 'name', text: e.eventName }),
          el('span', { text: `${e.cityName} · ${e.localTime.slice(11, 16)} local` }),
          el('span', { text: ago(e.observedAt) }),
        ),
        el('div', { text: e.newsflash }),
      );
      return item;
    }),
  );
}

// ---------- charts ----------

/** @param {string} slug */
function selectChartCity(slug) {
  state.chartCity = slug;
  $('chart-city', HTMLSelectElement).value = slug;
  for (const tile of document.querySelectorAll('.tile')) tile.classList.toggle('selected', tile.getAttribute('data-city') === slug);
  inBackground(loadHistory());
}

/** @param {string} period */
function selectPeriod(period) {
  state.period = period;
  for (const button of $('periods').querySelectorAll('button')) button.setAttribute('aria-pressed', String(button.dataset.period === period));
  inBackground(loadHistory());
  inBackground(loadHeatmap());
}

const chartCitySelect = $('chart-city', HTMLSelectElement);
chartCitySelect.addEventListener('change', () => selectChartCity(chartCitySelect.value));

/** @returns {uPlot.Plugin} */
function eventMarkers() {
  return {
    hooks: {
      draw: [
        (u) => {
          const events = state.series?.events ?? [];
          const { ctx } = u;
          const { top, height } = u.bbox;
          const { min = -Infinity, max = Infinity } = u.scales.x ?? {};
          ctx.save();
          ctx.strokeStyle = 'rgba(244, 184, 96, .75)';
          ctx.fillStyle = '#f4b860';
          ctx.lineWidth = Math.max(1, devicePixelRatio);
          ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
          for (const event of events) {
            if (event.t < min || event.t > max) continue;
            const x = Math.round(u.valToPos(event.t, 'x', true));
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            const s = 4 * devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(x - s, top);
            ctx.lineTo(x + s, top);
            ctx.lineTo(x, top + s * 1.6);
            ctx.fill();
          }
          ctx.restore();
        },
      ],
    },
  };
}

/** Shows the value under the cursor in the chart's title (the legend row would take a line per chart). */
/**
 * @param {ChartSpec} spec
 * @returns {uPlot.Plugin}
 */
function cursorReadout(spec) {
  const base = `${spec.label} (${spec.unit})`;
  return {
    hooks: {
      setCursor: [
        (u) => {
          const title = u.root.querySelector('.u-title');
          const i = u.cursor.idx;
          const time = i == null ? undefined : u.data[0][i];
          const value = i == null ? undefined : u.data[1]?.[i];
          if (!title) return;
          title.textContent =
            value == null || time === undefined
              ? base
              : `${base}: ${value} · ${new Date(time * 1000).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })}`;
        },
      ],
    },
  };
}

/** @typedef {{ id: string; key: 'tempC' | 'windMs' | 'humidityPct'; label: string; unit: string; colour: string; fill: string }} ChartSpec */

/** @type {ChartSpec[]} */
const CHARTS = [
  { id: 'chart-temp', key: 'tempC', label: 'Temperature', unit: '°C', colour: '#f4b860', fill: 'rgba(244, 184, 96, .12)' },
  { id: 'chart-wind', key: 'windMs', label: 'Wind', unit: 'm/s', colour: '#6cc3ff', fill: 'rgba(108, 195, 255, .12)' },
  { id: 'chart-humidity', key: 'humidityPct', label: 'Humidity', unit: '%', colour: '#4cc38a', fill: 'rgba(76, 195, 138, .12)' },
];

function chartWidth() {
  return Math.max(260, $('charts').clientWidth);
}

function buildCharts() {
  for (const chart of state.charts) chart.destroy();
  const sync = uPlot.sync('kots');
  const axis = { stroke: '#8da2bd', grid: { stroke: '#1d2f48', width: 1 }, ticks: { stroke: '#22354f' } };
  state.charts = CHARTS.map(
    (spec, i) =>
      new uPlot(
        {
          width: chartWidth(),
          height: window.innerWidth < 520 ? 130 : 150,
          cursor: { sync: { key: sync.key }, drag: { x: false, y: false } },
          legend: { show: false },
          title: `${spec.label} (${spec.unit})`,
          plugins: [eventMarkers(), cursorReadout(spec)],
          scales: { x: { time: true } },
          axes: [
            { ...axis, show: i === CHARTS.length - 1, size: i === CHARTS.length - 1 ? 48 : 0 },
            { ...axis, size: 52, values: (_u, values) => values.map((v) => `${v}${spec.unit === '%' ? '%' : ''}`) },
          ],
          series: [{}, { label: `${spec.label} (${spec.unit})`, stroke: spec.colour, fill: spec.fill, width: 2, spanGaps: false, points: { show: false } }],
        },
        [[], []],
        $(spec.id),
      ),
  );
}

async function loadHistory() {
  const city = state.chartCity;
  if (!city) return;
  const note = $('chart-note');
  note.textContent = 'loading…';
  try {
    const series = /** @type {CitySeries} */ (await api(`/api/history?city=${encodeURIComponent(city)}&period=${encodeURIComponent(state.period)}`));
    if (series.city !== state.chartCity || series.period !== state.period) return;
    state.series = series;
    if (state.charts.length === 0) buildCharts();
    const now = Date.now() / 1000;
    const periodSeconds = { '1h': 3600, '6h': 21600, '24h': 86400, '7d': 604800, '30d': 2592000 }[series.period] ?? 3600;
    for (const [i, spec] of CHARTS.entries()) {
      const chart = state.charts[i];
      chart?.setData([series.t, series[spec.key]], false);
      chart?.setScale('x', { min: now - periodSeconds, max: now });
    }
    const cityName = state.cities.get(city)?.name ?? city;
    note.textContent = `${cityName}, last ${series.period}: ${series.t.length} points of ${series.bucketSeconds} s · ${series.events.length} surreal events (▼ markers) · from the lake`;
    $('charts').dataset.period = series.period;
    $('charts').dataset.points = String(series.t.length);
  } catch (error) {
    note.textContent = `history unavailable: ${errorText(error)}`;
  }
}

/** @param {FeedEvent} event */
function addChartEvent(event) {
  if (!state.series) return;
  state.series.events.push({ t: Date.parse(event.observedAt) / 1000, eventId: event.eventId, eventName: event.eventName });
  for (const chart of state.charts) chart.redraw(false);
}

window.addEventListener('resize', () => {
  for (const chart of state.charts) chart.setSize({ width: chartWidth(), height: chart.height });
});

// ---------- heat-map ----------

async function loadHeatmap() {
  try {
    const heat = /** @type {EventHeatmap} */ (await api(`/api/heatmap?period=${encodeURIComponent(state.period)}`));
    if (heat.period !== state.period) return;
    $('heat-period').textContent = `last ${heat.period}`;
    const max = Math.max(1, ...heat.counts.flat());
    const table = $('heatmap');
    if (heat.cities.length === 0) {
      table.replaceChildren(el('tbody', {}, el('tr', {}, el('td', { class: 'muted', text: 'No surreal event in the lake for this period yet.' }))));
      return;
    }
    const head = el('thead', {}, el('tr', {}, el('th', { text: 'City' }), ...heat.events.map((name) => el('th', { class: 'ev', text: name, title: name }))));
    const body = el(
      'tbody',
      {},
      ...heat.cities.map((city, ci) =>
        el(
          'tr',
          {},
          el('th', { text: city.name }),
          ...(heat.counts[ci] ?? []).map((n, ei) => {
            const cell = el('td', { class: `cell${n === 0 ? ' zero' : ''}`, text: String(n), title: `${city.name} · ${heat.events[ei]}: ${n}` });
            if (n > 0) {
              const a = 0.15 + 0.85 * (n / max);
              cell.style.background = `rgba(244, 184, 96, ${a.toFixed(2)})`;
              cell.style.color = a > 0.55 ? '#1a1200' : '#e6edf6';
            }
            return cell;
          }),
        ),
      ),
    );
    table.replaceChildren(head, body);
  } catch (error) {
    $('heatmap').replaceChildren(el('tbody', {}, el('tr', {}, el('td', { class: 'muted', text: `heat-map unavailable: ${errorText(error)}` }))));
  }
}

// ---------- map ----------

// Equirectangular: x = lon + 180, y = 90 - lat, cropped to the cities (labels need room on the right).
/** @typedef {{ x0: number; y0: number; w: number; h: number }} MapBox the map's viewBox */
/** @type {MapBox | undefined} */
let mapBox;

/** @returns {MapBox} */
function mapBounds() {
  const xs = [];
  const ys = [];
  for (const { lat, lon } of state.cities.values()) {
    if (lat == null || lon == null) continue;
    xs.push(lon + 180);
    ys.push(90 - lat);
  }
  if (xs.length === 0) return { x0: 0, y0: 20, w: 360, h: 130 };
  const x0 = Math.max(0, Math.min(...xs) - 12);
  const x1 = Math.min(400, Math.max(...xs) + 45);
  const y0 = Math.max(0, Math.min(...ys) - 10);
  const y1 = Math.min(180, Math.max(...ys) + 10);
  const w = Math.max(120, x1 - x0);
  return { x0, y0, w, h: Math.max(w * 0.42, y1 - y0) };
}

function renderMap() {
  const box = mapBounds();
  mapBox = box;
  const root = svg('svg', { viewBox: `${box.x0} ${box.y0} ${box.w} ${box.h}`, role: 'img', 'aria-label': 'Cities by latitude and longitude' });
  for (let lon = -150; lon <= 150; lon += 30) root.append(svg('line', { class: 'grid', x1: lon + 180, x2: lon + 180, y1: 0, y2: 180 }));
  for (let lat = -60; lat <= 60; lat += 30) root.append(svg('line', { class: lat === 0 ? 'equator' : 'grid', x1: 0, x2: 400, y1: 90 - lat, y2: 90 - lat }));
  root.append(svg('g', { id: 'map-cities' }));
  $('map').replaceChildren(root);
  for (const city of state.cities.values()) renderMapCity(city, false);
  placeLabels();
}

/**
 * @param {CityTile} city
 * @param {boolean} [pulse] ring the dot when the city's latest event is new
 */
function renderMapCity(city, pulse = true) {
  const layer = document.getElementById('map-cities');
  if (!layer || city.lat == null || city.lon == null) return;
  const x = city.lon + 180;
  const y = 90 - city.lat;
  if (mapBox && (x < mapBox.x0 || x > mapBox.x0 + mapBox.w || y < mapBox.y0 || y > mapBox.y0 + mapBox.h)) return renderMap();
  let group = layer.querySelector(`g[data-city="${CSS.escape(city.slug)}"]`);
  const tempC = city.current?.tempC;
  if (!group) {
    group = svg('g', { 'data-city': city.slug });
    group.append(svg('circle', { class: 'city-dot', cx: x, cy: y, r: 2.6 }), svg('text', { class: 'label', x: x + 4, y: y + 2.2 }));
    group.append(svg('title', {}, city.name));
    group.addEventListener('click', () => selectChartCity(city.slug));
    layer.append(group);
    placeLabels();
  }
  group.querySelector('.city-dot')?.setAttribute('fill', tempColour(tempC));
  group
    .querySelector('.label')
    ?.replaceChildren(document.createTextNode(`${city.name} `), svg('tspan', { class: 't' }, tempC == null ? '' : `${Math.round(tempC)}°`));
  if (pulse && city.latestEvent && Date.now() - Date.parse(city.latestEvent.observedAt) < 5000) {
    const ring = svg('circle', { class: 'pulse', cx: x, cy: y, r: 2 });
    group.append(ring);
    setTimeout(() => ring.remove(), 1700);
  }
}

/** Moves labels of close cities (Takamatsu, Kochi, Nakano) apart vertically. */
function placeLabels() {
  /** @type {Array<{ x: number; y: number }>} */
  const placed = [];
  const labels = [...document.querySelectorAll('#map-cities g')]
    .map((g) => ({ dot: g.querySelector('.city-dot'), label: g.querySelector('.label') }))
    .map(({ dot, label }) => ({ label, x: Number(dot?.getAttribute('cx')), y: Number(dot?.getAttribute('cy')) }))
    .sort((a, b) => a.y - b.y);
  for (const item of labels) {
    let y = item.y + 2.2;
    while (placed.some((p) => Math.abs(p.x - item.x) < 45 && Math.abs(p.y - y) < 6.5)) y += 6.5;
    placed.push({ x: item.x, y });
    item.label?.setAttribute('y', String(y));
  }
}

// ---------- fleet ----------

// A large fleet sends many device updates: redraw the table at most twice a second.
let fleetScheduled = false;
function scheduleFleet() {
  if (fleetScheduled) return;
  fleetScheduled = true;
  setTimeout(() => {
    fleetScheduled = false;
    renderFleet();
  }, 500);
}

function renderFleet() {
  const silentMs = state.silentAfterSeconds * 1000;
  const rows = [...state.devices.values()].sort((a, b) => a.city.localeCompare(b.city) || a.deviceId.localeCompare(b.deviceId));
  let silent = 0;
  const body = rows.map((d) => {
    const isSilent = d.status === 'online' && (!d.lastSeen || Date.now() - Date.parse(d.lastSeen) > silentMs);
    if (isSilent) silent++;
    const statusClass = isSilent ? 'warn' : d.status === 'online' ? 'ok' : d.status === 'offline' ? 'bad' : 'none';
    const cityName = state.cities.get(d.city)?.name ?? d.city;
    return el(
      'tr',
      { class: isSilent ? 'silent' : d.status === 'offline' ? 'offline' : '', 'data-device': d.deviceId },
      el('td', { text: d.deviceId }),
      el('td', { text: cityName }),
      el('td', {}, el('span', { class: `pill ${statusClass}`, text: isSilent ? 'silent' : d.status })),
      el('td', { text: ago(d.lastSeen), title: d.lastSeen ?? '' }),
      el('td', { text: d.version ?? '—' }),
      el('td', { class: 'num', text: d.spoolDepth == null ? '—' : String(d.spoolDepth) }),
      el('td', { class: 'error', text: d.lastError ?? '', title: d.lastError ?? '' }),
    );
  });
  $('fleet', HTMLTableElement).tBodies[0]?.replaceChildren(
    ...(body.length ? body : [el('tr', {}, el('td', { colSpan: 7, class: 'muted', text: 'No device has reported yet.' }))]),
  );
  $('silent-note').textContent = silent
    ? `${silent} silent for more than ${state.silentAfterSeconds} s`
    : `silent after ${state.silentAfterSeconds} s without a message`;
  renderFleetSummary();
}

// Relative times and silence move on without new data.
setInterval(() => {
  if ($('app').hidden) return;
  renderFleet();
  for (const city of state.cities.values()) {
    const foot = document.querySelector(`.tile[data-city="${CSS.escape(city.slug)}"] .tile-foot span:last-child`);
    if (foot && city.current) foot.textContent = ago(city.current.observedAt);
  }
}, 5000);

// History from the lake catches up with what the consumer wrote.
setInterval(() => {
  if ($('app').hidden) return;
  inBackground(loadHistory());
  inBackground(loadHeatmap());
}, 30000);

// ---------- boot ----------

fetch('/api/session', { credentials: 'same-origin' })
  .then(async (response) => (response.ok ? start((await response.json()).user) : showLogin()))
  .catch(() => showLogin('The dashboard server cannot be reached.'));
