// The rep's field app: plain ES modules, no build step. Every screen reads
// the local store of the sync library and every save goes through its
// outbox, so the app works the same with the network off.
import { Rapport } from '/sdk/rapport-sync.js';
import { words } from './i18n.js';

let lang = localStorage.getItem('rapport.lang') || (navigator.language?.startsWith('zh') ? 'zh-CN' : 'en');
const t = (k) => words[lang][k] ?? words.en[k] ?? k;
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const $ = (sel) => document.querySelector(sel);
const main = $('#main');

const r = await Rapport.open({ store: 'indexeddb' });
window.rapport = r; // for the browser tests and the curious
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => {});

// ------------------------------------------------------------ org facts

const settings = () => r.records('org_settings')[0] || {};
const zone = () => settings().timezone || 'Asia/Shanghai';
const currency = () => settings().currency || 'CNY';
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: zone() }).format(new Date());
const addDays = (d, n) => new Date(Date.parse(d + 'T00:00:00Z') + n * 86400000).toISOString().slice(0, 10);
const money = (minor) => `${(Number(minor || 0) / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency()}`;
const when = (iso) => iso ? new Intl.DateTimeFormat(lang, { timeZone: zone(), dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso.replace(' ', 'T'))) : '';
const me = () => r.user || {};
const isApprover = () => ['manager', 'director', 'finance', 'admin'].includes(me().role);
const st = (status) => t(status === 'done' ? 'doneStatus' : status);
const customerName = (id) => r.record('customers', id)?.name || '—';

/** Yuan typed by the rep → minor units; null when it is not an amount. */
function toMinor(text) {
  const s = String(text).trim().replace(/,/g, '');
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return null;
  const [whole, frac = ''] = s.split('.');
  const minor = Number(whole) * 100 + Number((frac + '00').slice(0, 2));
  return minor > 0 ? minor : null;
}

/** The server's words for a refusal: each field's message, else the general one. */
function refusal(error) {
  if (!error) return '';
  const fields = Object.values(error.data || {}).map((f) => f.message).filter(Boolean);
  return fields.length ? fields.join(' ') : error.message;
}

// ------------------------------------------------------------ chrome

function chrome() {
  const s = r.status;
  const state = $('#sync-state');
  state.className = 'pill' + (!s.online ? ' offline' : s.refused || s.expired ? ' alert' : '');
  state.textContent = `${s.online ? t('online') : t('offline')}${s.pending ? ` · ${s.pending} ${t('pending')}` : ''}${s.refused ? ` · ${s.refused} ${t('refused')}` : ''}`;
  state.setAttribute('aria-label', `${state.textContent}. ${t('syncNow')}`);
  $('#lang').textContent = lang === 'en' ? '中文' : 'EN';
  document.documentElement.lang = lang;
  const nav = $('#nav');
  nav.hidden = !r.token;
  const here = location.hash.split('/')[1] || 'today';
  const tabs = [['today', t('today')], ['customers', t('customers')], ['complaints', t('complaints')], ['outbox', t('outbox'), s.pending + s.refused]];
  if (isApprover()) tabs.push(['approvals', t('approvals')]);
  nav.innerHTML = tabs.map(([k, label, n]) => `<a href="#/${k}" ${k === here ? 'aria-current="page"' : ''}>${esc(label)}${n ? `<span class="badge">${n}</span>` : ''}</a>`).join('');
}

$('#lang').onclick = () => { lang = lang === 'en' ? 'zh-CN' : 'en'; localStorage.setItem('rapport.lang', lang); render(); };
$('#sync-state').onclick = () => r.sync().catch(() => {});

// ------------------------------------------------------------ screens

const screens = {
  signin() {
    main.innerHTML = `<h2>${t('signIn')}</h2>
      ${r.status.expired ? `<p class="error" role="alert">${t('signInAgain')}</p>` : ''}
      <form id="f">
        <label for="email">${t('email')}</label><input id="email" type="email" autocomplete="username" required value="${esc(me().email)}">
        <label for="password">${t('password')}</label><input id="password" type="password" autocomplete="current-password" required>
        <p id="err" class="error" role="alert" hidden></p>
        <button class="primary" type="submit">${t('signIn')}</button>
      </form>`;
    $('#f').onsubmit = async (e) => {
      e.preventDefault();
      try {
        await r.signIn($('#email').value, $('#password').value);
        location.hash = '#/today'; // the first sync runs on (signIn started it): screens fill as it lands
      } catch (err) {
        $('#err').hidden = false;
        $('#err').textContent = err.message;
      }
    };
  },

  today() {
    const now = today();
    // due today: the due day, or a care window that is open now
    const dueNow = (v, day) => v.due === day || (v.window_start && v.window_start <= day && v.due >= day);
    const soon = addDays(now, 7);
    const open = r.records('visits', { filter: (v) => v.rep === me().id || !v.rep })
      .filter((v) => ['scheduled', 'in_progress'].includes(v.status))
      .map((v) => ({ ...v, due: v.due_date || v.window_end || '' }))
      .filter((v) => v.due && v.due <= soon)
      .sort((a, b) => a.due.localeCompare(b.due));
    const group = (title, list, cls) => list.length ? `<h2>${title}</h2>${list.map((v) => `
      <a class="card" href="#/visit/${v.id}"><div class="row"><strong>${esc(customerName(v.customer))}</strong><span class="tag ${cls}">${esc(v.window_start && v.window_end ? `${v.window_start.slice(5)} – ${v.window_end.slice(5)}` : v.due)}</span></div>
      <div class="muted">${t(v.kind === 'call' || v.source === 'followup' ? 'call' : v.kind || 'visit')} · ${esc(v.notes)} ${v.$pending ? `<span class="tag pending">${t('waiting')}</span>` : ''}</div></a>`).join('')}` : '';
    main.innerHTML = `<div class="row"><h2>${t('today')} · ${now}</h2><button class="secondary" id="out" type="button">${t('signOut')}</button></div>`
      + (open.length ? group(t('overdue'), open.filter((v) => v.due < now), 'overdue') + group(t('dueToday'), open.filter((v) => dueNow(v, now)), 'pending') + group(t('upcoming'), open.filter((v) => v.due > now && !dueNow(v, now)), '')
        : `<p class="card">${t('nothingDue')}</p>`);
    $('#out').onclick = async () => {
      try { await r.signOut(); location.hash = '#/signin'; } catch (err) { alert(err.message); }
    };
  },

  customers() {
    const q = sessionStorage.getItem('rapport.q') || '';
    const list = r.records('customers', { sort: 'name' }).filter((c) => !q || `${c.name} ${c.code} ${c.industry}`.toLowerCase().includes(q.toLowerCase()));
    main.innerHTML = `<label for="q">${t('search')}</label><input id="q" type="search" value="${esc(q)}">
      <div id="list">${list.map((c) => `<a class="card" href="#/customer/${c.id}"><div class="row"><strong>${esc(c.name)}</strong><span class="tag">${t('tier')} ${esc(c.tier || '–')}</span></div>
      <div class="muted">${t('lastVisit')}: ${c.last_visit_at ? when(c.last_visit_at) : t('never')} · ${t('nextDue')}: ${esc(c.next_visit_due || '—')}</div></a>`).join('')}</div>`;
    $('#q').oninput = (e) => { sessionStorage.setItem('rapport.q', e.target.value); render(); $('#q').focus(); $('#q').setSelectionRange(999, 999); };
  },

  customer(id) {
    const c = r.record('customers', id);
    if (!c) return notFound();
    const plans = r.records('plans', { filter: { customer: id }, sort: '-period_start' });
    const visits = r.records('visits', { filter: { customer: id }, sort: '-due_date' });
    const expenses = r.records('expenses', { filter: (x) => plans.some((p) => p.id === x.plan), sort: '-incurred_on' });
    main.innerHTML = `<h2>${esc(c.name)} <span class="tag">${t('tier')} ${esc(c.tier || '–')}</span></h2>
      <p class="muted">${esc(c.address)}</p>
      <a class="btn primary" href="#/expense/new/${id}">${t('newExpense')}</a>
      <button class="secondary" id="nv" type="button">${t('newVisit')}</button>
      <h2>${t('contacts')}</h2>${(Array.isArray(c.contacts) ? c.contacts : []).map((p) => `<div class="card"><strong>${esc(p.name)}</strong> ${esc(p.title)}<div class="muted">${esc(p.phone)} ${esc(p.email)}</div></div>`).join('') || '<p class="muted">—</p>'}
      <h2>${t('plans')}</h2>${plans.map((p) => `<div class="card"><div class="row"><strong>${esc(p.title)}</strong><span class="tag">${t(p.status)}</span></div><div class="muted">${esc(p.period_start)} – ${esc(p.period_end)} · ${money((p.approved_budget || p.budget) - (p.committed || 0))} ${t('budgetLeft')}</div></div>`).join('') || '<p class="muted">—</p>'}
      <h2>${t('history')}</h2>${visits.map((v) => `<a class="card" href="#/visit/${v.id}"><div class="row"><span>${t(v.kind || 'visit')} · ${esc(v.due_date || v.window_end)}</span><span class="tag">${st(v.status)}</span></div><div class="muted">${esc(v.outcome || v.notes)} ${v.$pending ? `<span class="tag pending">${t('waiting')}</span>` : ''}</div></a>`).join('')}
      ${expenses.map((x) => `<a class="card" href="#/expense/${x.id}"><div class="row"><span>${t(x.category)} · ${esc(x.incurred_on)}</span><strong>${money(x.amount)}</strong></div><span class="tag ${x.status === 'rejected' ? 'rejected' : x.status === 'approved' || x.status === 'paid' ? 'ok' : ''}">${t(x.status)}</span>${x.$pending ? ` <span class="tag pending">${t('waiting')}</span>` : ''}</a>`).join('')}`;
    $('#nv').onclick = async () => {
      const v = await r.create('visits', { customer: id, kind: 'visit', status: 'scheduled', due_date: today(), source: 'manual' });
      location.hash = `#/visit/${v.id}`;
    };
  },

  visit(id) {
    const v = r.record('visits', id);
    if (!v) return notFound();
    const loc = v.checkin_location;
    const editable = v.status !== 'done';
    main.innerHTML = `<h2>${t(v.kind || 'visit')} · <a href="#/customer/${v.customer}">${esc(customerName(v.customer))}</a></h2>
      <p class="muted">${t('due')}: ${esc(v.due_date || v.window_end)} · <span class="tag">${st(v.status)}</span></p>
      <div class="card" id="checkin">${v.started_at ? `<strong>${t('checkedIn')}</strong> ${when(v.started_at)}${loc?.lat ? `<div class="muted">${loc.lat.toFixed(5)}, ${loc.lon.toFixed(5)} · ${t('accuracy')} ±${Math.round(v.checkin_accuracy_m || 0)} m</div>` : ''}`
        : `<button class="primary" id="ci" type="button">${t('checkIn')}</button><p id="geo" class="muted" aria-live="polite"></p>`}</div>
      <form id="f">
        <label for="notes">${t('notes')}</label><textarea id="notes" ${editable ? '' : 'readonly'}>${esc(v.notes)}</textarea>
        <label for="outcome">${t('outcome')}</label><input id="outcome" value="${esc(v.outcome)}" ${editable ? '' : 'readonly'}>
        <fieldset class="stars"><legend>${t('satisfaction')}</legend>
          ${[1, 2, 3, 4, 5].map((n) => `<label><input type="radio" name="sat" value="${n}" ${v.satisfaction === n ? 'checked' : ''} ${editable ? '' : 'disabled'}>${n}</label>`).join('')}</fieldset>
        <label for="photos">${t('photos')}</label><input id="photos" type="file" accept="image/*" capture="environment" multiple ${editable ? '' : 'disabled'}>
        <p class="muted">${[...(v.photos || []), ...(v.$files?.photos || [])].map(esc).join(', ')}</p>
        ${editable ? `<button class="secondary" type="button" id="save">${t('save')}</button><button class="primary" type="submit">${t('done')}</button>` : ''}
        <p id="msg" class="muted" role="status"></p>
      </form>
      <a class="btn secondary" href="#/expense/new/${v.customer}/${v.id}">${t('newExpense')}</a>`;
    const ci = $('#ci');
    if (ci) ci.onclick = () => {
      $('#geo').textContent = t('locating');
      const checkIn = (pos) => r.update('visits', id, {
        status: 'in_progress', started_at: new Date().toISOString(),
        ...(pos ? { checkin_location: { lat: pos.coords.latitude, lon: pos.coords.longitude }, checkin_accuracy_m: Math.round(pos.coords.accuracy) } : {}),
      });
      navigator.geolocation.getCurrentPosition((pos) => checkIn(pos), () => { if (confirm(t('noFix'))) checkIn(null); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    };
    const fields = () => {
      const sat = document.querySelector('input[name=sat]:checked');
      return { notes: $('#notes').value, outcome: $('#outcome').value, ...(sat ? { satisfaction: Number(sat.value) } : {}) };
    };
    const photos = () => ($('#photos').files.length ? { files: { photos: [...$('#photos').files] } } : {});
    if (editable) {
      $('#save').onclick = async () => { forget(); await r.update('visits', id, fields(), photos()); $('#msg').textContent = t('saved'); };
      $('#f').onsubmit = async (e) => {
        e.preventDefault();
        forget();
        await r.update('visits', id, { ...fields(), status: 'done', ended_at: new Date().toISOString() }, photos());
        location.hash = '#/today';
      };
    }
  },

  expense(id, customerId, visitId) {
    const fixing = Number(sessionStorage.getItem('rapport.fix.' + id)) || 0;
    // a refused create left no record anywhere: its typed data is the form
    const refusedCreate = r.outbox().find((m) => m.recordId === id && m.op === 'create' && m.status !== 'pending');
    const x = id === 'new' ? null : r.record('expenses', id) || (refusedCreate && { ...refusedCreate.data, id, status: 'draft', $refused: true });
    if (id !== 'new' && !x) return notFound();
    const customer = x?.customer || customerId || r.record('plans', x?.plan)?.customer;
    const plans = r.records('plans', { filter: (p) => p.status === 'approved' && (!customer || p.customer === customer) });
    const editable = !x || ['draft', 'rejected'].includes(x.status) || fixing;
    const categories = ['meal', 'gift', 'travel', 'transport', 'event', 'entertainment', 'other'];
    const refused = r.outbox().filter((m) => m.recordId === id && m.status !== 'pending');
    main.innerHTML = `<h2>${x ? t('expenses') : t('newExpense')} ${customer ? '· ' + esc(customerName(customer)) : ''} ${x ? `<span class="tag">${t(x.status)}</span>` : ''}</h2>
      ${refused.map((m) => `<p class="error" role="alert">${esc(refusal(m.error))}</p>`).join('')}
      ${plans.length || x ? '' : `<p class="error">${t('noPlans')}</p>`}
      <form id="f">
        <label for="plan">${t('plan')}</label><select id="plan" required ${editable ? '' : 'disabled'}>${plans.map((p) => `<option value="${p.id}" ${x?.plan === p.id ? 'selected' : ''}>${esc(p.title)} (${money((p.approved_budget || p.budget) - (p.committed || 0))} ${t('budgetLeft')})</option>`).join('')}</select>
        <label for="category">${t('category')}</label><select id="category" ${editable ? '' : 'disabled'}>${categories.map((c) => `<option value="${c}" ${x?.category === c ? 'selected' : ''}>${t(c)}</option>`).join('')}</select>
        <label for="amount">${t('amount')} (${currency()})</label><input id="amount" inputmode="decimal" autocomplete="off" required value="${x ? (x.amount / 100).toFixed(2) : ''}" ${editable ? '' : 'readonly'} aria-describedby="amount-err">
        <p id="amount-err" class="error" role="alert" hidden>${t('amountInvalid')}</p>
        <label for="incurred">${t('incurredOn')}</label><input id="incurred" type="date" required value="${esc(x?.incurred_on || today())}" max="${today()}" ${editable ? '' : 'readonly'}>
        <label for="description">${t('description')}</label><input id="description" value="${esc(x?.description)}" ${editable ? '' : 'readonly'}>
        <label for="receipt">${t('receipt')}</label><input id="receipt" type="file" accept="image/*,application/pdf" capture="environment" ${editable ? '' : 'disabled'}>
        <p class="muted">${esc(x?.receipt || x?.$files?.receipt?.join(', ') || '')}</p>
        ${editable ? `<button class="secondary" type="button" id="draft">${t('saveDraft')}</button><button class="primary" type="submit">${t('submit')}</button>` : ''}
      </form>`;
    if (!editable) return;
    const save = async (submit) => {
      const amount = toMinor($('#amount').value);
      $('#amount-err').hidden = amount !== null;
      if (amount === null) return $('#amount').focus(); // the typed rest stays
      forget();
      const data = { plan: $('#plan').value, category: $('#category').value, amount, incurred_on: $('#incurred').value, description: $('#description').value };
      const files = $('#receipt').files[0] ? { files: { receipt: $('#receipt').files[0] } } : {};
      let target = id;
      if (!x || x.$refused) {
        // a fixed create keeps its id: the server never made the record
        target = (await r.create('expenses', { ...(x?.$refused ? { id } : {}), ...data, currency: currency(), status: 'draft', ...(visitId ? { visit: visitId } : {}) }, files)).id;
      } else {
        const changed = Object.fromEntries(Object.entries(data).filter(([k, v]) => x[k] !== v));
        if (Object.keys(changed).length || files.files) await r.update('expenses', id, changed, files);
      }
      if (submit) await r.update('expenses', target, { status: 'submitted' });
      // a fix replaces what the server refused: that refusal is done with
      for (const m of refused) await r.dismiss(m.id).catch(() => {});
      sessionStorage.removeItem('rapport.fix.' + id);
      location.hash = `#/customer/${customer || r.record('plans', data.plan)?.customer}`;
    };
    $('#amount').oninput = () => { $('#amount-err').hidden = true; };
    $('#draft').onclick = () => save(false);
    $('#f').onsubmit = (e) => { e.preventDefault(); save(true); };
  },

  outbox() {
    const entries = r.outbox();
    const label = (m) => `${t(m.op)} · ${t(m.collection === 'expenses' || m.collection === 'visits' ? m.collection : m.collection + 'Coll')}`;
    const what = (m) => {
      const rec = r.record(m.collection, m.recordId);
      if (m.collection === 'expenses') return `${esc(customerName(rec?.customer || r.record('plans', rec?.plan)?.customer))} · ${money(m.data?.amount ?? rec?.amount)}`;
      if (m.collection === 'visits') return esc(customerName(rec?.customer || m.data?.customer));
      return esc(m.recordId);
    };
    main.innerHTML = `<div class="row"><h2>${t('outbox')}</h2><button class="secondary" id="sync" type="button">${t('syncNow')}</button></div>
      ${r.status.error && r.status.online ? `<p class="error">${esc(r.status.error)}</p>` : ''}
      ${entries.length ? entries.map((m) => `<div class="card" data-mutation="${m.id}">
        <div class="row"><strong>${label(m)}</strong><span class="tag ${m.status}">${m.status === 'pending' ? t('waiting') : m.status === 'conflict' ? t('conflict') : t('refusedBy')}</span></div>
        <div class="muted">${what(m)} ${m.data?.status ? '→ ' + st(m.data.status) : ''}</div>
        ${m.error ? `<p class="error" role="alert">${esc(refusal(m.error))}</p>` : ''}
        ${m.status !== 'pending' ? `${['expenses', 'visits'].includes(m.collection) && m.op !== 'delete' ? `<button class="primary" type="button" data-fix="${m.id}">${t('fix')}</button>` : ''}<button class="danger" type="button" data-dismiss="${m.id}">${t('dismiss')}</button>` : ''}
      </div>`).join('') : `<p class="card">${t('outboxEmpty')}</p>`}`;
    $('#sync').onclick = () => r.sync().catch(() => {});
    main.querySelectorAll('[data-dismiss]').forEach((b) => { b.onclick = () => r.dismiss(Number(b.dataset.dismiss)); });
    main.querySelectorAll('[data-fix]').forEach((b) => {
      b.onclick = () => {
        const m = entries.find((e) => e.id === Number(b.dataset.fix));
        sessionStorage.setItem('rapport.fix.' + m.recordId, m.id);
        location.hash = m.collection === 'expenses' ? `#/expense/${m.recordId}` : `#/visit/${m.recordId}`;
      };
    });
  },

  async complaints() {
    const list = r.records('complaints', { sort: '-received_at' });
    const customers = r.records('customers', { sort: 'name' });
    const opt = (name, values) => `<select id="${name}">${values.map((v) => `<option value="${v}">${t(v)}</option>`).join('')}</select>`;
    main.innerHTML = `<h2>${t('complaints')}</h2>
      ${list.map((c) => `<div class="card"><div class="row"><strong>${esc(customerName(c.customer))} · ${esc(c.summary)}</strong><span class="tag ${c.status === 'open' ? 'overdue' : ''}">${t(c.status)}</span></div>
        <div class="muted">${t(c.severity)} · ${t(c.channel)} · ${when(c.received_at)}</div><p>${esc(c.details)}</p>
        ${c.first_response ? `<p class="muted">${t('response')}: ${esc(c.first_response)}</p>` : ''}
        ${c.status === 'open' ? `<label for="resp-${c.id}">${t('response')}</label><input id="resp-${c.id}"><button class="secondary" type="button" data-respond="${c.id}">${t('respond')}</button>` : ''}
        ${c.status === 'acknowledged' ? `<label for="res-${c.id}">${t('resolution')}</label><input id="res-${c.id}"><button class="secondary" type="button" data-resolve="${c.id}">${t('resolve')}</button>` : ''}
      </div>`).join('')}
      <h2>${t('newComplaint')}</h2>
      <form id="f">
        <label for="customer">${t('customer')}</label><select id="customer" required>${customers.map((c) => `<option value="${c.id}">${esc(c.name)}</option>`).join('')}</select>
        <label for="channel">${t('channel')}</label>${opt('channel', ['phone', 'wechat', 'email', 'visit', 'other'])}
        <label for="severity">${t('severity')}</label>${opt('severity', ['low', 'normal', 'high'])}
        <label for="summary">${t('summary')}</label><input id="summary" required>
        <label for="details">${t('details')}</label><textarea id="details"></textarea>
        <button class="primary" type="submit">${t('save')}</button>
      </form>`;
    $('#f').onsubmit = async (e) => {
      e.preventDefault();
      forget();
      await r.create('complaints', { customer: $('#customer').value, channel: $('#channel').value, severity: $('#severity').value, summary: $('#summary').value, details: $('#details').value, received_at: new Date().toISOString(), status: 'open' });
    };
    main.querySelectorAll('[data-respond]').forEach((b) => { b.onclick = () => r.update('complaints', b.dataset.respond, { first_response: $(`#resp-${b.dataset.respond}`).value, status: 'acknowledged' }); });
    main.querySelectorAll('[data-resolve]').forEach((b) => { b.onclick = () => r.update('complaints', b.dataset.resolve, { resolution: $(`#res-${b.dataset.resolve}`).value, status: 'resolved' }); });
  },

  approvals() {
    const mine = (x) => x.status === 'submitted' && x.approver === me().id;
    const expenses = r.records('expenses', { filter: mine, sort: 'submitted_at' });
    const plans = r.records('plans', { filter: mine, sort: 'created' });
    const item = (kind, x, title, amount) => `<div class="card" data-${kind}="${x.id}"><div class="row"><strong>${esc(title)}</strong><strong>${money(amount)}</strong></div>
      <div class="muted">${esc(customerName(x.customer))} · ${esc(x.incurred_on || x.period_start || '')}</div>
      ${(x.flags || []).length ? `<p class="error">${t('flags')}: ${(x.flags || []).map((f) => esc(f.message || f.code || f)).join(' ')}</p>` : ''}
      <label for="note-${x.id}">${t('note')}</label><input id="note-${x.id}">
      <button class="primary" type="button" data-decide="approve" data-kind="${kind}" data-id="${x.id}">${t('approve')}</button>
      <button class="danger" type="button" data-decide="reject" data-kind="${kind}" data-id="${x.id}">${t('reject')}</button></div>`;
    main.innerHTML = `<h2>${t('approvals')}</h2>${[...plans.map((p) => item('plan', p, p.title, p.budget)), ...expenses.map((x) => item('expense', x, `${t(x.category)} · ${x.description}`, x.amount))].join('') || `<p class="card">${t('nothingToApprove')}</p>`}`;
    main.querySelectorAll('[data-decide]').forEach((b) => {
      b.onclick = () => r.create('approvals', { [b.dataset.kind]: b.dataset.id, decision: b.dataset.decide, acknowledge_flags: true, note: $(`#note-${b.dataset.id}`).value });
    });
  },
};

function notFound() {
  main.innerHTML = `<p class="card">—</p><a href="#/today">${t('back')}</a>`;
}

// ------------------------------------------------------------ routing

// What the rep typed or picked and has not saved yet: by control id, and a
// radio group (the satisfaction stars) by its name. A re-render (a pull
// landing, a language switch) puts it back, so a sync never erases a
// half-filled form; a save the app accepts (forget) or leaving the screen
// forgets it. A form whose record has meanwhile become read-only shows what
// is stored, not what was typed.
let drafts = {};
const forget = () => { drafts = {}; };
const keep = (e) => {
  const el = e.target;
  if (el.type === 'radio') drafts['radio:' + el.name] = el.value;
  else if (el.id && el.type !== 'file') drafts[el.id] = el.type === 'checkbox' ? el.checked : el.value;
};
main.addEventListener('input', keep);
main.addEventListener('change', keep);
function restoreDrafts() {
  for (const [key, value] of Object.entries(drafts)) {
    const el = key.startsWith('radio:')
      ? main.querySelector(`input[type=radio][name="${key.slice(6)}"][value="${value}"]`)
      : document.getElementById(key);
    if (!el || !main.contains(el) || el.readOnly || el.disabled) continue;
    if (el.type === 'radio') el.checked = true;
    else if (el.type === 'checkbox') el.checked = value;
    else el.value = value;
  }
}

let queued = false;
function render() {
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => {
    queued = false;
    // never re-render under the rep's fingers: a form being typed in stays
    if (main.contains(document.activeElement) && document.activeElement.matches('input:not([type=search]):not([type=file]), textarea, select') && !forced) return;
    forced = false;
    const [name = 'today', ...args] = location.hash.replace(/^#\/?/, '').split('/');
    const screen = !r.token || r.status.expired ? 'signin' : screens[name] ? name : 'today';
    chrome();
    $('#title').textContent = screen === 'signin' ? 'Rapport' : t(screen);
    screens[screen](...args);
    restoreDrafts();
  });
}
let forced = false;
window.addEventListener('hashchange', () => { forced = true; forget(); render(); main.focus(); });
r.on('change', render);
r.on('status', () => chrome());
render();
