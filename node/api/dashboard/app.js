// Dashboard client: polls GET /v1/dashboard/summary every second and renders tables and inline SVG
// charts. Plain browser JavaScript, no build step, no dependencies.

const POLL_MS = 1000;
const SVG = 'http://www.w3.org/2000/svg';
let tokens = {};
let markets = {};
let failures = 0;
/** Auction id -> hashes of its winning solutions (a ranked auction's winners never change). */
const winners = new Map();

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const short = (h) => (h ? `${h.slice(0, 6)}…${h.slice(-4)}` : '–');

/** Decimal string of base units -> human number string with up to `dp` decimals. */
function units(value, decimals = 18, dp = 2) {
  let v = BigInt(value);
  const neg = v < 0n;
  if (neg) v = -v;
  const scale = 10n ** BigInt(decimals);
  const whole = v / scale;
  const frac = ((v % scale) * 10n ** BigInt(dp)) / scale;
  let s = whole.toLocaleString('en-US');
  if (dp > 0) s += `.${frac.toString().padStart(dp, '0')}`;
  return (neg ? '-' : '') + s;
}
const num = (value, decimals = 18) => Number(BigInt(value)) / 10 ** decimals;
function compact(x) {
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (a >= 100) return x.toFixed(0);
  return x.toFixed(2);
}
function amount(token, value) {
  const t = tokens[token];
  return t
    ? `${units(value, t.decimals, t.decimals > 2 ? 2 : 0)} ${esc(t.symbol)}`
    : `${units(value, 0, 0)} <span class="mono">${short(token)}</span>`;
}
function ago(iso) {
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return s < 60 ? `${Math.max(s, 0)} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}
function duration(sec) {
  if (sec < 1) return '< 1 s';
  if (sec < 120) return `${Math.round(sec)} s`;
  if (sec < 7200) return `${Math.round(sec / 60)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}
function rows(tbody, html, cols, emptyText) {
  tbody.innerHTML = html.length ? html.join('') : `<tr class="empty"><td colspan="${cols}">${emptyText}</td></tr>`;
}
const txLink = (h) => `<span class="mono tx" title="${esc(h)}">${short(h)}</span>`;

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Bars of the winning score per auction (oldest left); runner-up scores as ticks. */
function surplusChart(auctions) {
  const box = $('#surplus-chart');
  const W = 560,
    H = 190,
    L = 44,
    B = 22,
    T = 10,
    R = 8;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'surplus per auction' });
  const data = auctions
    .filter((a) => a.solutions.length > 0)
    .slice(0, 30)
    .reverse();
  svg.append(
    el('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }),
    el('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }),
  );
  if (data.length === 0) {
    svg.append(el('text', { class: 'empty', x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no ranked auction yet'));
  } else {
    const vals = data.map((a) => num(a.surplus));
    const max = Math.max(...data.flatMap((a) => a.solutions.map((s) => num(s.score))), 1e-9);
    const step = (W - L - R) / data.length;
    const y = (v) => H - B - (v / max) * (H - B - T);
    svg.append(
      el('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' }, compact(max)),
      el('text', { x: L - 4, y: H - B, 'text-anchor': 'end' }, '0'),
    );
    data.forEach((a, i) => {
      const x = L + i * step + step * 0.15;
      const w = step * 0.7;
      const bar = el('rect', {
        class: a.settlement ? 'bar' : 'bar unsettled',
        x,
        y: y(vals[i]),
        width: w,
        height: Math.max(H - B - y(vals[i]), 1),
        'data-auction': a.id,
      });
      bar.append(el('title', {}, `auction ${a.id}: surplus ${compact(vals[i])}${a.settlement ? ' (settled)' : ''}`));
      svg.append(bar);
      for (const s of a.solutions.slice(1)) svg.append(el('rect', { class: 'runner', x, y: y(num(s.score)) - 1, width: w, height: 2 }));
      if (data.length <= 12 || i % Math.ceil(data.length / 12) === 0)
        svg.append(el('text', { x: x + w / 2, y: H - 6, 'text-anchor': 'middle' }, String(a.id).slice(-5)));
    });
  }
  box.replaceChildren(svg);
}

/** Horizontal bars of equity / maintenance per account, with the liquidation line at 1×. */
function marginChart(margin) {
  const box = $('#margin-chart');
  const W = 560,
    H = 190,
    L = 92,
    R = 40,
    T = 8,
    B = 18;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'margin health' });
  const data = (margin.accounts || []).filter((a) => a.health !== null).slice(0, 8);
  if (data.length === 0) {
    svg.append(
      el(
        'text',
        { class: 'empty', x: W / 2, y: H / 2, 'text-anchor': 'middle' },
        margin.available ? 'no open positions' : margin.reason || 'no chain data',
      ),
    );
    box.replaceChildren(svg);
    return;
  }
  const max = Math.min(Math.max(3, ...data.map((a) => a.health)) * 1.05, 12);
  const x = (v) => L + (Math.min(v, max) / max) * (W - L - R);
  const step = (H - T - B) / data.length;
  data.forEach((a, i) => {
    const y0 = T + i * step + step * 0.18;
    const h = step * 0.64;
    const cls =
      a.health < 1 ? 'bad' : a.health < num(a.initialRequirement) / Math.max(num(a.maintenanceRequirement), 1e-18) ? 'warn' : 'ok';
    const fill = cls === 'bad' ? '#ef5b5b' : cls === 'warn' ? '#f0b429' : '#38c793';
    const bar = el('rect', { x: L, y: y0, width: Math.max(x(a.health) - L, 1), height: h, fill, class: 'hbar' });
    bar.append(el('title', {}, `${a.account}: ${a.health.toFixed(2)}×`));
    svg.append(el('text', { x: L - 6, y: y0 + h / 2 + 3, 'text-anchor': 'end', class: 'mono' }, short(a.account)), bar);
    svg.append(el('text', { x: x(a.health) + 4, y: y0 + h / 2 + 3 }, `${a.health.toFixed(2)}×`));
    const init = num(a.initialRequirement) / Math.max(num(a.maintenanceRequirement), 1e-18);
    svg.append(el('line', { x1: x(init), x2: x(init), y1: y0 - 2, y2: y0 + h + 2, stroke: '#8592ad', 'stroke-dasharray': '3 2' }));
  });
  svg.append(el('line', { x1: x(1), x2: x(1), y1: T, y2: H - B, stroke: '#ef5b5b', 'stroke-width': 1.5 }));
  svg.append(el('text', { x: x(1), y: H - 4, 'text-anchor': 'middle' }, '1× liquidation'));
  svg.append(el('text', { x: W - R, y: H - 4, 'text-anchor': 'end' }, '┆ initial margin'));
  box.replaceChildren(svg);
}

/** Fetches the winners of ranked auctions not seen yet (each once). */
async function fetchWinners(auctions) {
  const missing = auctions.filter((a) => a.solutions.length > 0 && !winners.has(a.id)).slice(0, 10);
  await Promise.all(
    missing.map(async (a) => {
      const res = await fetch(`/v1/auctions/${a.id}`, { cache: 'no-store' });
      if (!res.ok) return;
      const body = await res.json();
      if (Array.isArray(body.ranking)) winners.set(a.id, new Set(body.ranking.filter((r) => r.winner).map((r) => r.hash)));
    }),
  );
  if (winners.size > 500) for (const id of [...winners.keys()].slice(0, winners.size - 500)) winners.delete(id);
}

let backlog = null;

function render(s) {
  tokens = s.tokens || {};
  markets = s.markets || {};
  const st = $('#status');
  st.className = 'status live';
  st.textContent = `live · chain ${s.node.chainId} · node ${short(s.node.peerId)} · updated ${new Date(s.node.now).toLocaleTimeString()}`;
  $('#stat-open').textContent = s.openIntents.total;
  const cur = s.current && s.current.id !== null ? s.current : null;
  $('#stat-auction').textContent = cur ? `${cur.intents} intent${cur.intents === 1 ? '' : 's'}, ${cur.solutions} sol.` : 'collecting';
  $('#stat-auction-id').textContent = cur ? `#${cur.id}` : '';
  $('#stat-trades').textContent = s.tradesTotal ?? s.trades.length;
  $('#stat-surplus').textContent = compact(s.auctions.filter((a) => a.settlement).reduce((t, a) => t + num(a.surplus), 0));
  $('#stat-peers').textContent = s.node.peers;
  $('#open-count').textContent = `${s.openIntents.total} live in the pool`;
  if (backlog) {
    $('#stat-backlog').textContent = `${backlog.waiting} of ${backlog.open} · ${duration(backlog.estimatedWaitSec)}`;
    $('#stat-capacity').textContent =
      `${compact(backlog.capacityPerSec)} intents/s ${backlog.measuredPerSec !== null && backlog.measuredPerSec >= backlog.capacityPerSec ? '(measured)' : '(configured floor)'} · cap ${backlog.maxOpen}`;
    const full = backlog.open / backlog.maxOpen;
    $('#backlog-card').className = `card ${full >= 1 ? 'bad' : full >= 0.8 || backlog.estimatedWaitSec > 60 ? 'warn' : ''}`;
  }

  rows(
    $('#auctions tbody'),
    s.auctions.slice(0, 10).map((a) => {
      const sols = a.solutions.length
        ? a.solutions
            .map((x) => {
              // until the ranking is fetched, the best-ranked solution stands for the winners
              const won = winners.has(a.id) ? winners.get(a.id).has(x.hash) : x.rank === 0;
              return `<span class="sol ${won ? 'winner' : ''}">${won ? '★ ' : ''}<span class="mono">${short(x.solver)}</span>: ${compact(num(x.score))}</span>`;
            })
            .join('')
        : '<span class="hint">no solution</span>';
      return `<tr data-auction="${a.id}"><td class="mono">#${a.id}</td><td>${ago(a.closedAt)}</td><td>${a.intents}</td><td class="wrap">${sols}</td><td>${compact(num(a.surplus))}</td><td>${a.settlement ? txLink(a.settlement.txHash) : '–'}</td></tr>`;
    }),
    6,
    'no auction with intents yet',
  );

  rows(
    $('#open-intents tbody'),
    s.openIntents.intents.slice(0, 12).map((i) => {
      const what =
        i.type === 'swap'
          ? `sell ${amount(i.sellToken, i.sellAmount)} → ≥ ${amount(i.buyToken, i.buyAmount)}`
          : `<span class="${BigInt(i.sizeDelta) > 0n ? 'long' : 'short'}">${BigInt(i.sizeDelta) > 0n ? '+' : ''}${units(i.sizeDelta, 18, 3)}</span> ${esc(markets[i.market] || `market ${i.market}`)} @ ≤ ${units(i.limitPrice, 18, 0)}`;
      return `<tr data-intent="${i.id}"><td class="mono">${short(i.id)}</td><td class="mono">${short(i.owner)}</td><td>${what}</td><td><span class="pill ${i.state}">${i.state.replace('_', ' ')}</span></td><td>${Math.max(0, Math.round((i.validTo * 1000 - Date.now()) / 60000))} min</td></tr>`;
    }),
    5,
    'no open intent',
  );

  rows(
    $('#leaderboard tbody'),
    s.leaderboard.map(
      (r) =>
        `<tr><td>${r.rank}</td><td class="mono">${short(r.solver)}</td><td>${r.wins}</td><td>${r.valid} / ${r.submitted}</td><td class="${r.invalid ? 'bad' : ''}">${r.invalid}</td><td>${compact(num(r.surplus))}</td><td>${r.settled}</td></tr>`,
    ),
    7,
    'no solution seen yet',
  );

  const v = s.vault;
  const vaultAddr = v.available ? v.vault.toLowerCase() : undefined;
  $('#vault-note').textContent = v.available ? `${short(v.vault)} · the counterparty of last resort, priced by its skew` : v.reason;
  const vc = $('#vault-cards');
  vc.innerHTML = v.available
    ? [
        ['NAV', units(v.nav, 18, 0)],
        ['Share price', units(v.sharePrice, 18, 6)],
        ['Unrealised PnL', units(v.unrealisedPnl, 18, 2)],
        [
          'Leverage',
          `${(Number((BigInt(v.grossNotional) * 1000n) / (BigInt(v.nav) || 1n)) / 1000).toFixed(2)}× of ${units(v.maxLeverage, 18, 1)}×`,
        ],
      ]
        .map(([k, x]) => `<div class="card"><div class="label">${k}</div><div class="value">${x}</div></div>`)
        .join('')
    : '';
  rows(
    $('#vault tbody'),
    (v.available ? v.markets : []).map((mk) => {
      const size = BigInt(mk.size);
      const skew = -size;
      // the premium a marginal trade pays now: skew / skewScale (Synthetix-style), before the spread
      const premium = Number((skew * 1_000_000n) / (BigInt(mk.skewScale) || 1n)) / 10_000;
      return `<tr><td>${esc(mk.name)}</td><td><span class="${size >= 0n ? 'long' : 'short'}">${units(mk.size, 18, 3)}</span></td><td>${units(skew.toString(), 18, 3)}</td><td>±${units(mk.maxPosition, 18, 0)}</td><td>${units(mk.mark, 18, 2)}</td><td>${units(mk.unrealisedPnl, 18, 2)}</td><td>${premium.toFixed(3)}%</td></tr>`;
    }),
    7,
    v.available ? 'no market quoted' : esc(v.reason),
  );

  rows(
    $('#trades tbody'),
    s.trades.slice(0, 12).map((t) => {
      if (t.kind === 'swap') {
        const limit = t.buyAmount && t.kindOfSwap === 'sell' ? ` <span class="hint">limit ≥ ${amount(t.buyToken, t.buyAmount)}</span>` : '';
        const what = `${amount(t.sellToken, t.executedSellAmount)} → ${amount(t.buyToken, t.executedBuyAmount)}${limit}${t.state === 'partially_filled' ? ' (partial)' : ''}`;
        return `<tr><td>${t.blockNumber}</td><td>swap</td><td class="mono">${short(t.owner)}</td><td>${what}</td><td>${txLink(t.txHash)}</td></tr>`;
      }
      if (t.kind === 'option') {
        const buy = BigInt(t.size) > 0n;
        const series =
          t.isCall === undefined
            ? `series #${esc(t.series)}`
            : `${esc(t.name ?? '')} ${t.isCall ? 'call' : 'put'} ${units(t.strike, 18, 0)}`;
        return `<tr><td>${t.blockNumber}</td><td>option</td><td class="mono">${short(t.account)}</td><td><span class="${buy ? 'long' : 'short'}">${buy ? 'bought' : 'wrote'} ${units(buy ? t.size : (-BigInt(t.size)).toString(), 18, 3)}</span> ${series} @ ${units(t.premium, 18, 2)}</td><td>${txLink(t.txHash)}</td></tr>`;
      }
      const long = BigInt(t.sizeDelta) > 0n;
      const who = vaultAddr && t.account.toLowerCase() === vaultAddr ? '<span class="tag">vault</span>' : short(t.account);
      return `<tr><td>${t.blockNumber}</td><td>position</td><td class="mono">${who}</td><td><span class="${long ? 'long' : 'short'}">${long ? 'long +' : 'short '}${units(t.sizeDelta, 18, 3)}</span> ${esc(t.name)} @ ${units(t.price, 18, 2)}</td><td>${txLink(t.txHash)}</td></tr>`;
    }),
    5,
    'no settled trade yet',
  );

  const m = s.margin;
  $('#margin-note').textContent = m.available ? `clearing house ${short(m.clearingHouse)}` : m.reason;
  rows(
    $('#accounts tbody'),
    m.accounts.slice(0, 12).map((a) => {
      const cls = a.liquidatable ? 'bad' : BigInt(a.equity) < BigInt(a.initialRequirement) ? 'warn' : 'ok';
      const positions =
        a.positions
          .map(
            (p) =>
              `<span class="${BigInt(p.size) > 0n ? 'long' : 'short'}">${units(p.size, 18, 3)}</span> ${esc(p.name)} @ ${units(p.mark, 18, 0)} (uPnL ${units(p.unrealisedPnl, 18, 2)})`,
          )
          .join('<br>') || '–';
      // option positions and, per underlying, the book's greeks (delta counts the perp too)
      const opts = (a.options || [])
        .map(
          (o) =>
            `<span class="${BigInt(o.size) > 0n ? 'long' : 'short'}">${units(o.size, 18, 3)}</span> ${esc(o.name)} ${o.isCall ? 'call' : 'put'} ${units(o.strike, 18, 0)} ` +
            (o.value === null ? `(${esc(o.unpriced || 'unpriced')})` : `(value ${units(o.value, 18, 2)})`),
        )
        .concat(
          (a.options || []).length
            ? (a.greeks || []).map(
                (g) =>
                  `<span class="hint greeks">${esc(g.name)}: Δ ${units(g.delta, 18, 3)} Γ ${num(g.gamma).toExponential(2)} vega ${units(BigInt(g.vega) / 100n, 18, 2)} θ ${units(g.theta, 18, 2)}/day</span>`,
              )
            : [],
        );
      const pos = opts.length ? [...(a.positions.length ? [positions] : []), ...opts].join('<br>') : positions;
      return `<tr><td class="mono">${short(a.account)}</td><td>${units(a.collateral)}</td><td>${units(a.equity)}</td><td>${units(a.initialRequirement)}</td><td>${units(a.maintenanceRequirement)}</td><td class="${cls}">${a.health === null ? '–' : `${a.health.toFixed(2)}×`}${a.liquidatable ? ' liquidatable' : ''}</td><td>${a.marginRatio === null ? '–' : `${(a.marginRatio * 100).toFixed(1)}%`}</td><td class="wrap">${pos}</td></tr>`;
    }),
    8,
    m.available ? 'no margin account yet' : esc(m.reason),
  );

  surplusChart(s.auctions);
  marginChart(m);
  document.body.dataset.updated = String(Date.now());
}

const BREAKER_POLL_MS = 2000;

const clock = (unix) => new Date(unix * 1000).toLocaleTimeString();

/** Each market's state (running, or halted until a time) and the latest halts and resumes. */
function breakers(b) {
  const cards = $('#breaker-markets');
  if (!b.available) {
    $('#breaker-note').textContent = b.reason;
    cards.replaceChildren();
    rows($('#breaker-events tbody'), [], 6, esc(b.reason));
    return;
  }
  $('#breaker-note').textContent =
    `${short(b.breaker)} · a market halts risk-increasing fills when its oracle jumps; intents wait, reductions still fill`;
  cards.innerHTML = b.markets
    .map(
      (m) =>
        `<div class="card${m.halted ? ' warn' : ''}" data-market="${m.market}"><div class="label">${esc(m.name)}</div>` +
        `<div class="value breaker-state">${m.halted ? 'halted' : 'trading'}</div>` +
        `<div class="note">${m.halted ? `until ${clock(m.haltedUntil)} at least` : 'risk-increasing fills allowed'}</div></div>`,
    )
    .join('');
  const moveOf = (e) => {
    if (e.kind !== 'halted') return '–';
    const from = Number(e.fromPrice);
    const to = Number(e.toPrice);
    // raw feed answers (the feed's own decimals): the relative move is what tripped the breaker
    return `${to > from ? '+' : ''}${((to / from - 1) * 100).toFixed(1)}%`;
  };
  rows(
    $('#breaker-events tbody'),
    b.events.map(
      (e) =>
        `<tr class="${e.kind}"><td>${e.blockNumber}</td><td>${esc(e.name)}</td>` +
        `<td><span class="tag ${e.kind === 'halted' ? 'bad' : 'good'}">${e.kind}</span></td><td>${moveOf(e)}</td>` +
        `<td>${e.haltedUntil ? clock(e.haltedUntil) : '–'}</td><td>${txLink(e.txHash)}</td></tr>`,
    ),
    6,
    'no halt yet',
  );
}

async function pollBreakers() {
  try {
    const res = await fetch('/v1/circuit-breaker', { cache: 'no-store' });
    if (res.ok) breakers(await res.json());
  } catch {
    // the summary poll reports an unreachable node
  }
  setTimeout(pollBreakers, BREAKER_POLL_MS);
}

const VOL_POLL_MS = 5000;
const TENOR_COLOURS = ['#5b8def', '#38c793', '#f0b429', '#ef5b5b', '#b07cf0', '#4fc3d9', '#e58fb5', '#a3b35c'];
let volMarket = null;

function tenorLabel(sec) {
  return sec < 86400
    ? `${Math.round(sec / 3600)}h`
    : sec < 365 * 86400
      ? `${Math.round(sec / 86400)}d`
      : `${+(sec / (365 * 86400)).toFixed(1)}y`;
}

/** One line per published tenor: implied vol against strike as a share of the forward (strike = forward * e^k). */
function volChart(v) {
  const box = $('#vol-chart');
  const W = 1120,
    H = 220,
    L = 48,
    R = 110,
    T = 10,
    B = 24;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'volatility smile' });
  const tabs = $('#vol-markets');
  if (!v.available || v.markets.length === 0) {
    $('#vol-note').textContent = v.available ? 'no market listed' : v.reason;
    tabs.replaceChildren();
    svg.append(el('text', { class: 'empty', x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no surface'));
    box.replaceChildren(svg);
    return;
  }
  if (!v.markets.some((m) => m.market === volMarket)) volMarket = v.markets[0].market;
  tabs.replaceChildren(
    ...v.markets.map((m) => {
      const b = document.createElement('button');
      b.textContent = m.name;
      b.className = m.market === volMarket ? 'tab on' : 'tab';
      b.dataset.market = String(m.market);
      b.onclick = () => {
        volMarket = m.market;
        volChart(v);
        if (lastSeries) seriesTable(lastSeries);
      };
      return b;
    }),
  );
  const m = v.markets.find((x) => x.market === volMarket);
  const age = m.publishedAt ? Math.max(0, Math.round(Date.now() / 1000 - m.publishedAt)) : null;
  $('#vol-note').textContent =
    `feed ${short(v.feed)} · ${age === null ? 'never published' : `published ${duration(age)} ago`} · ` +
    `${m.fresh ? 'fresh' : 'STALE'} (max age ${duration(v.maxAge)}) · forward ${compact(num(m.mark))}`;
  const pts = m.smiles.flatMap((s) => s.points.map((p) => ({ x: 100 * Math.exp(num(p.k)), y: 100 * num(p.vol) })));
  if (pts.length === 0) {
    svg.append(el('text', { class: 'empty', x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'never published'));
    box.replaceChildren(svg);
    return;
  }
  const x0 = Math.min(...pts.map((p) => p.x)),
    x1 = Math.max(...pts.map((p) => p.x));
  const y0 = Math.min(...pts.map((p) => p.y)) * 0.95,
    y1 = Math.max(...pts.map((p) => p.y)) * 1.05;
  const sx = (x) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const sy = (y) => H - B - ((y - y0) / (y1 - y0 || 1)) * (H - B - T);
  svg.append(
    el('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }),
    el('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }),
    el('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' }, `${y1.toFixed(0)}%`),
    el('text', { x: L - 4, y: H - B, 'text-anchor': 'end' }, `${y0.toFixed(0)}%`),
    el('line', { x1: sx(100), x2: sx(100), y1: T, y2: H - B, stroke: '#8592ad', 'stroke-dasharray': '3 2' }),
    el('text', { x: sx(100), y: H - 6, 'text-anchor': 'middle' }, 'at the money'),
    el('text', { x: L, y: H - 6 }, `${x0.toFixed(0)}% of forward`),
    el('text', { x: W - R, y: H - 6, 'text-anchor': 'end' }, `${x1.toFixed(0)}%`),
  );
  m.smiles.forEach((s, i) => {
    const colour = TENOR_COLOURS[i % TENOR_COLOURS.length];
    const line = el('polyline', {
      class: 'smile',
      fill: 'none',
      stroke: colour,
      'stroke-width': 2,
      points: s.points.map((p) => `${sx(100 * Math.exp(num(p.k)))},${sy(100 * num(p.vol))}`).join(' '),
      'data-tenor': s.tenorSec,
    });
    line.append(el('title', {}, `${tenorLabel(s.tenorSec)}: ${s.points.map((p) => `${(100 * num(p.vol)).toFixed(1)}%`).join(' ')}`));
    svg.append(line, el('text', { x: W - R + 8, y: T + 12 + i * 16, style: `fill: ${colour}` }, `${tenorLabel(s.tenorSec)} expiry`));
  });
  box.replaceChildren(svg);
}

let lastVol = null;
let lastSeries = null;

/** The chosen market's live series: model price at the mark and the surface's vol, the greeks, open interest. */
function seriesTable(r) {
  const body = $('#option-series tbody');
  if (!r.available) return rows(body, [], 11, esc(r.reason));
  const list = r.series.filter((x) => x.market === volMarket);
  const f = (v, dp = 2) => (v === null ? '–' : units(v, 18, dp));
  rows(
    body,
    list.map(
      (x) =>
        `<tr data-series="${x.id}"><td>#${x.id}</td><td>${x.isCall ? 'call' : 'put'}</td><td class="num">${units(x.strike, 18, 2)}</td>` +
        `<td>${new Date(x.expiry * 1000).toISOString().slice(0, 16).replace('T', ' ')} (${duration(x.secondsToExpiry)})</td>` +
        (x.vol === null
          ? `<td colspan="6" class="hint">${esc(x.unpriced ?? 'unpriced')}</td>`
          : `<td class="num">${(100 * num(x.vol)).toFixed(1)}%</td><td class="num price">${f(x.price)}</td><td class="num">${f(x.delta, 3)}</td>` +
            `<td class="num">${num(x.gamma).toExponential(2)}</td><td class="num">${units(BigInt(x.vega) / 100n, 18, 2)}</td><td class="num">${f(x.theta)}</td>`) +
        `<td class="num oi">${x.openInterest === undefined ? '–' : units(x.openInterest, 18, 2)}</td></tr>`,
    ),
    11,
    'no live series on this market',
  );
}

async function pollVolatility() {
  try {
    const [res, s] = await Promise.all([
      fetch('/v1/volatility', { cache: 'no-store' }),
      fetch('/v1/options/series', { cache: 'no-store' }).catch(() => null),
    ]);
    if (res.ok) lastVol = await res.json();
    if (s?.ok) lastSeries = await s.json();
    if (lastVol) volChart(lastVol);
    if (lastSeries) seriesTable(lastSeries);
  } catch {
    // the summary poll reports an unreachable node
  }
  setTimeout(pollVolatility, VOL_POLL_MS);
}

async function poll() {
  try {
    const [res, b] = await Promise.all([
      fetch('/v1/dashboard/summary', { cache: 'no-store' }),
      fetch('/v1/backlog', { cache: 'no-store' }).catch(() => null),
    ]);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const summary = await res.json();
    backlog = b?.ok ? await b.json() : null;
    await fetchWinners(summary.auctions.slice(0, 10)).catch(() => undefined);
    render(summary);
    failures = 0;
  } catch (e) {
    failures++;
    const st = $('#status');
    st.className = 'status down';
    st.textContent = `node unreachable (${e.message}); retrying…`;
  }
  setTimeout(poll, failures ? Math.min(POLL_MS * 2 ** failures, 10_000) : POLL_MS);
}
poll();
pollVolatility();
pollBreakers();
