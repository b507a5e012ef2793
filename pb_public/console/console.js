// The manager console: approvals inbox, team budgets, per-rep compliance and
// complaint SLA, spend charts and CSV export. Plain ES module, no build step;
// records come from the sync library (live through the poke), reports from
// GET /api/reports/{report}.
import { Rapport } from '/sdk/rapport-sync.js';

const $ = (s) => document.querySelector(s);
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const main = $('#main');
const r = await Rapport.open({ store: 'indexeddb', name: `rapport-console:${location.origin}` });
window.rapport = r;

const settings = () => r.records('org_settings')[0] || {};
const currency = () => settings().currency || 'CNY';
const money = (minor) => `${(Number(minor || 0) / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency()}`;
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: settings().timezone || 'Asia/Shanghai' }).format(new Date());
const range = { from: today().slice(0, 4) + '-01-01', to: today() };

const views = {
  approvals: ['Approvals', approvals],
  budgets: ['Budgets', budgets],
  team: ['Team: visits & complaints', team],
  spend: ['Spend', spend],
};

// ------------------------------------------------------------ approvals

// A request at the finance level waits for every finance user, though it
// names one of them as its approver: finance sees those of the others too
// (never their own). The finance users' ids are kept for offline use.
let financeIds = new Set(JSON.parse(localStorage.getItem('rapport.finance') || '[]'));
async function loadFinanceIds() {
  if (r.user?.role !== 'finance' || !r.status.online) return;
  const page = await r.http('GET', `/api/collections/users/records?perPage=500&fields=id&filter=${encodeURIComponent("role='finance'")}`);
  financeIds = new Set(page.items.map((u) => u.id));
  localStorage.setItem('rapport.finance', JSON.stringify([...financeIds]));
}

function approvals() {
  const me = r.user.id;
  const waitsForMe = (x) => x.approver === me || (r.user.role === 'finance' && financeIds.has(x.approver) && x.rep !== me && x.owner !== me);
  const mine = (x) => x.status === 'submitted' && waitsForMe(x);
  const expenses = r.records('expenses', { filter: mine, sort: 'submitted_at' });
  const plans = r.records('plans', { filter: mine, sort: 'created' });
  const planLeft = (p) => p ? (p.approved_budget || p.budget) - (p.committed || 0) : null;
  // the budgets this expense counts against: in force on its day, of its
  // category, and the org's, its rep's or its team's (a team budget above
  // the team is not told apart offline: the server checks those at submit)
  const applies = (b, x) => b.scope === 'org' || (b.scope === 'rep' && b.rep === x.rep) || (b.scope === 'team' && b.team === x.team);
  const budgetsLeft = (x) => r.records('budgets', { filter: (b) => applies(b, x) && b.period_start <= x.incurred_on && (!b.period_end || x.incurred_on <= b.period_end) && (!b.category || b.category === x.category) })
    .map((b) => `${esc(b.name)}: ${money(b.amount - (b.committed || 0))}`).join('<br>');
  const row = (kind, x, what, amount, left) => `<tr data-id="${x.id}">
      <td>${esc(what)}<span class="muted"> · ${esc(r.record('customers', x.customer)?.name || '')}</span>
        ${(Array.isArray(x.flags) ? x.flags : []).map((f) => `<span class="flag">⚑ ${esc(f.message || f.code || f)}</span>`).join('')}</td>
      <td>${esc(x.incurred_on || `${x.period_start} – ${x.period_end}`)}</td>
      <td class="num">${money(amount)}</td><td class="num">${left}</td>
      <td><button class="approve" data-decide="approve" data-kind="${kind}" data-id="${x.id}">Approve</button><button class="reject" data-decide="reject" data-kind="${kind}" data-id="${x.id}">Reject</button>
        <label class="muted">note <input data-note="${x.id}" size="12" aria-label="Note for ${esc(what)}"></label></td></tr>`;
  main.innerHTML = `<h2>Waiting for your decision</h2><p id="err" class="error" role="alert" hidden></p>
    ${expenses.length + plans.length ? `<table><thead><tr><th>Request</th><th>Date</th><th class="num">Amount</th><th class="num">Remaining budget</th><th>Decision</th></tr></thead><tbody>
      ${plans.map((p) => row('plan', p, `Plan: ${p.title}`, p.budget, '—')).join('')}
      ${expenses.map((x) => row('expense', x, `${x.category}: ${x.description || ''}`, x.amount, `plan ${money(planLeft(r.record('plans', x.plan)))}<br>${budgetsLeft(x)}`)).join('')}
    </tbody></table><p class="muted">Approving acknowledges the flags shown (⚑).</p>` : '<p>Nothing waits for your decision.</p>'}`;
  main.querySelectorAll('[data-decide]').forEach((b) => {
    b.onclick = async () => {
      b.disabled = true;
      try {
        await r.http('POST', '/api/collections/approvals/records', {
          [b.dataset.kind]: b.dataset.id, decision: b.dataset.decide, acknowledge_flags: true,
          note: main.querySelector(`[data-note="${b.dataset.id}"]`).value,
        });
        await r.sync();
      } catch (err) {
        $('#err').hidden = false;
        $('#err').textContent = Object.values(err.data || {}).map((f) => f.message).join(' ') || err.message;
        b.disabled = false;
      }
    };
  });
}

// ------------------------------------------------------------ budgets

function budgets() {
  const list = r.records('budgets', { sort: 'name' });
  const bar = (b) => {
    const used = b.committed || 0; // committed counts submitted, approved and paid expenses
    const pct = b.amount ? Math.round((used / b.amount) * 100) : 0;
    const cls = pct >= 100 ? 'over' : pct >= (b.warn_at_percent || 80) ? 'warn' : '';
    return `<tr><td>${esc(b.name)}</td><td>${esc(b.scope)}${b.category ? ' · ' + esc(b.category) : ''}</td><td>${esc(b.period_start)} – ${esc(b.period_end || '')}</td>
      <td class="num">${money(b.spent)}</td><td class="num">${money(b.committed)}</td><td class="num">${money(b.amount)}</td>
      <td><span class="meter" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${pct}" aria-label="${esc(b.name)} used ${pct}%"><span class="${cls}" style="width:${Math.min(pct, 100)}%"></span></span> ${pct}%</td></tr>`;
  };
  main.innerHTML = `<h2>Budgets</h2>${list.length ? `<table><thead><tr><th>Budget</th><th>Scope</th><th>Period</th><th class="num">Spent</th><th class="num">Committed (incl. spent)</th><th class="num">Amount</th><th>Used</th></tr></thead>
    <tbody>${list.map(bar).join('')}</tbody></table>` : '<p>No budgets you may see.</p>'}
    <h2>Budgets report</h2><div id="report"></div>`;
  report('#report', 'budgets');
}

// ------------------------------------------------------------ team

function team() {
  main.innerHTML = `${rangeForm()}<h2>Visit compliance per rep</h2><div id="visits"></div><h2>Complaint SLA per rep</h2><div id="complaints"></div>`;
  bindRange();
  report('#visits', 'visits', 'rep');
  report('#complaints', 'complaints', 'rep');
}

// ------------------------------------------------------------ spend

function spend() {
  main.innerHTML = `${rangeForm()}<div class="charts">
    <div class="chart" id="tier"></div><div class="chart" id="category"></div><div class="chart" id="month"></div></div>
    <h2>ROI per customer</h2><div id="roi"></div>`;
  bindRange();
  for (const by of ['tier', 'category', 'month']) report(`#${by}`, 'spend', by, { chart: 'committed' });
  report('#roi', 'roi', 'customer');
}

function rangeForm() {
  return `<form class="range" id="range"><label>From <input type="date" id="from" value="${range.from}"></label>
    <label>To <input type="date" id="to" value="${range.to}"></label><button type="submit">Show</button></form>`;
}
function bindRange() {
  $('#range').onsubmit = (e) => { e.preventDefault(); range.from = $('#from').value; range.to = $('#to').value; render(); };
}

/**
 * One report of the reports API into el: a table (or a bar chart of one
 * figure) and a CSV export button. The JSON is {report, groupBy, from, to,
 * currency, rows: [{key, label, …figures}], totals, columns: [{name, kind}]}:
 * kind says which figures are money (minor units), counts or percentages.
 */
async function report(el, name, groupBy = '', { chart = '' } = {}) {
  const box = $(el);
  const q = `from=${range.from}&to=${range.to}${groupBy ? `&groupBy=${groupBy}` : ''}`;
  let res;
  try {
    res = await r.http('GET', `/api/reports/${name}?${q}`);
  } catch (err) {
    box.innerHTML = err.status === 404 ? `<p class="notice">The ${esc(name)} report is not available on this server.</p>` : `<p class="error">${esc(err.message)}</p>`;
    return;
  }
  if (!box.isConnected) return;
  const rows = res.rows || [];
  const kinds = Object.fromEntries((res.columns || []).map((c) => [c.name, c.kind]));
  const figures = (res.columns || []).map((c) => c.name);
  const fmt = (k, v) => v == null ? '—' : kinds[k] === 'money' ? money(v) : kinds[k] === 'percent' ? `${v}%`
    : typeof v === 'number' ? v.toLocaleString('en-US') : esc(v);
  const csv = `<button type="button" data-csv>Export CSV</button>`;
  const title = groupBy ? `${name} by ${groupBy}` : name;
  if (chart) {
    box.innerHTML = `<h3>${esc(`${chart} ${title}`)}</h3>${barChart(rows, chart, title, (v) => fmt(chart, v))}${csv}`;
  } else {
    box.innerHTML = rows.length ? `<table><thead><tr><th>${esc(groupBy || name)}</th>${figures.map((k) => `<th class="num">${esc(k.replace(/_/g, ' '))}</th>`).join('')}</tr></thead>
      <tbody>${rows.map((row) => `<tr><td>${esc(row.label ?? row.key)}</td>${figures.map((k) => `<td class="num">${fmt(k, row[k])}</td>`).join('')}</tr>`).join('')}</tbody>
      ${figures.some((k) => typeof res.totals?.[k] === 'number') ? `<tfoot><tr><th>Total</th>${figures.map((k) => `<th class="num">${fmt(k, res.totals[k])}</th>`).join('')}</tr></tfoot>` : ''}</table>${csv}` : `<p class="muted">No data in this period.</p>${csv}`;
  }
  box.querySelector('[data-csv]').onclick = () => download(`/api/reports/${name}?${q}&format=csv`, `${[name, groupBy, range.from, range.to].filter(Boolean).join('-')}.csv`);
}

/** A horizontal bar chart as inline SVG (no chart library: see docs/decisions.md). */
function barChart(rows, figure, title, show) {
  if (!rows.length || !figure) return '<p class="muted">No data in this period.</p>';
  const max = Math.max(...rows.map((row) => row[figure] || 0), 1);
  const h = 26;
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 340 ${rows.length * h + 4}" width="100%">
    ${rows.map((row, i) => {
      const w = Math.round(((row[figure] || 0) / max) * 150);
      return `<g transform="translate(0 ${i * h})"><text x="0" y="17" font-size="13">${esc(String(row.label ?? row.key).slice(0, 12))}</text>
        <rect x="90" y="5" width="${w}" height="16" fill="#1f4fa8" rx="2"><title>${esc(row.label ?? row.key)}: ${show(row[figure])}</title></rect>
        <text x="${96 + w}" y="17" font-size="12" fill="#5a6478">${show(row[figure])}</text></g>`;
    }).join('')}</svg>`;
}

/** Fetches a CSV with the session's token and hands it to the browser as a download. */
async function download(path, filename) {
  const resp = await fetch(path, { headers: { Authorization: r.token } });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await resp.blob());
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// ------------------------------------------------------------ sign-in, routing

function signIn() {
  main.innerHTML = `<form class="signin" id="f"><h2>Sign in</h2>
    <label for="email">Email</label><input id="email" type="email" autocomplete="username" required>
    <label for="password">Password</label><input id="password" type="password" autocomplete="current-password" required>
    <p id="err" class="error" role="alert" hidden></p><button class="approve" type="submit">Sign in</button></form>`;
  $('#f').onsubmit = async (e) => {
    e.preventDefault();
    try {
      await r.signIn($('#email').value, $('#password').value);
      await r.sync();
      await loadFinanceIds();
      render();
    } catch (err) { $('#err').hidden = false; $('#err').textContent = err.message; }
  };
}

// Notes typed beside a request and not yet sent, by request id: a redraw
// when a pull lands puts them back; leaving the view forgets them.
let notes = {};
main.addEventListener('input', (e) => { if (e.target.dataset.note) notes[e.target.dataset.note] = e.target.value; });
const restoreNotes = () => main.querySelectorAll('[data-note]').forEach((el) => { el.value = notes[el.dataset.note] ?? ''; });

let queued = false;
function render() {
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => {
    queued = false;
    if (main.contains(document.activeElement) && document.activeElement.matches('input')) return;
    const name = location.hash.replace(/^#\/?/, '') || 'approvals';
    const signedIn = r.status.signedIn;
    $('#nav').innerHTML = signedIn ? Object.entries(views).map(([k, [label]]) => `<a href="#/${k}" ${k === name ? 'aria-current="page"' : ''}>${label}</a>`).join('') : '';
    $('#who').textContent = signedIn ? `${r.user.name || r.user.email} (${r.user.role})` : '';
    if (!signedIn) return signIn();
    (views[name] || views.approvals)[1]();
    restoreNotes();
  });
}
window.addEventListener('hashchange', () => { notes = {}; render(); });
// records views follow the data; report views change only on demand
r.on('change', () => { if (!/team|spend|budgets/.test(location.hash)) render(); });
loadFinanceIds().catch(() => {}).finally(render); // offline: the ids kept last time

