import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { launchChromium, serve } from '../../test/helpers/browser';

const PROJECT = process.env.P ?? '/tmp/demo-3/project';
const MODEL = process.env.M ?? 'run:20261126-071557-all';
const CAM = process.env.CAM ?? '/tmp/q/cam.y4m';
const SECONDS = Number(process.env.S ?? 12);
function cpuMs(pid: number): number {
  try { const st = readFileSync(`/proc/${pid}/stat`, 'utf8'); const f = st.slice(st.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) * 10; } catch { return 0; }
}
function children(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) { if (!/^\d+$/.test(d)) continue; try { const st = readFileSync(`/proc/${d}/stat`, 'utf8'); const f = st.slice(st.lastIndexOf(')') + 2).split(' '); if (Number(f[1]) === pid) out.push(Number(d), ...children(Number(d))); } catch { /* gone */ } }
  return out;
}
function kind(pid: number): string {
  try { const c = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); const t = c.find((x) => x.startsWith('--type=')); const u = c.find((x) => x.startsWith('--utility-sub-type=')); return (t ? t.slice(7) : 'browser') + (u ? ':' + u.split('.').pop() : ''); } catch { return '?'; }
}
async function main() {
  if (!existsSync(CAM)) execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', '/tmp/clip720.mp4', '-t', '20', '-vf', 'scale=640:480,fps=30,format=yuv420p', CAM]);
  const s = process.env.URL ? { url: process.env.URL, child: { pid: Number(process.env.SPID) }, stop: async () => undefined } : await serve(PROJECT, [], process.env.ENV ? Object.fromEntries(process.env.ENV.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) : {});
  const browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${CAM}`, '--autoplay-policy=no-user-gesture-required', ...(process.env.ARGS ? process.env.ARGS.split(' ') : [])]);
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(s.url);
    await page.getByRole('button', { name: 'Live', exact: true }).click();
    await page.locator('[data-testid=camera-status][data-state=live]').waitFor({ timeout: 20_000 });
    if (!process.env.NOMODEL) {
    await page.getByLabel('model').selectOption(MODEL);
    await page.locator('[data-testid=model-state][data-ready=true]').waitFor({ timeout: 120_000 });
    }
    await page.waitForTimeout(3000);
    const live = page.getByTestId('live');
    const attr = async (n: string) => Number(await live.getAttribute(n));
    const bpid = (browser as unknown as { process?: () => { pid: number } }).process?.()?.pid;
    // find chromium root: the parent of renderer processes named chromium
    const serverPids = [s.child.pid!, ...children(s.child.pid!)];
    const roots = execFileSync('pgrep', ['-f', '/usr/lib/chromium/chromium']).toString().trim().split('\n').map(Number);
    const all = [...new Set(roots.flatMap((r) => [r, ...children(r)]))];
    const threads = (pid: number) => { const m = new Map<string, number>(); try { for (const t of readdirSync(`/proc/${pid}/task`)) { const name = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim(); const st = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'); const f = st.slice(st.lastIndexOf(')') + 2).split(' '); m.set(`${pid}/${name}`, (m.get(`${pid}/${name}`) ?? 0) + (Number(f[11]) + Number(f[12])) * 10); } } catch { /* gone */ } return m; };
    const tsnap = () => { const m = new Map<string, number>(); for (const p of [...all, ...serverPids]) for (const [k, v] of threads(p)) m.set(`${kind(p)} ${k}`, v); return m; };
        const snap = () => ({ server: serverPids.reduce((a, p) => a + cpuMs(p), 0), ch: new Map(all.map((p) => [p, cpuMs(p)])) });
    const cdp = process.env.PROFILE ? await context.newCDPSession(page) : null;
    if (cdp) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 }); await cdp.send('Profiler.start'); }
    const a0 = await attr('data-answered'); const c0 = snap(); const th0 = tsnap(); const t0 = Date.now();
    const seen: number[][] = [];
    while (Date.now() - t0 < SECONDS * 1000) { await page.waitForTimeout(500); seen.push([await attr('data-round-trip-p50'), await attr('data-service-ms'), await attr('data-grab-ms')]); }
    if (cdp) { const { profile } = await cdp.send('Profiler.stop'); require('node:fs').writeFileSync('/tmp/q/page.cpuprofile', JSON.stringify(profile)); }
    const a1 = await attr('data-answered'); const c1 = snap(); const t1 = Date.now();
    const n = Math.max(1, a1 - a0); const secs = (t1 - t0) / 1000;
    console.log(`bpid ${bpid}; answered ${n} in ${secs.toFixed(1)} s = ${(n / secs).toFixed(1)} fps; readout ${(await page.getByTestId('live-readout').textContent())?.slice(0, 200)}`);
    const med = (i: number) => { const xs = seen.map((x) => x[i]!).sort((a, b) => a - b); return xs[xs.length >> 1]; };
    console.log(`round trip p50 ${med(0)} service ${med(1)} grab ${med(2)}`);
    console.log(`server CPU ${((c1.server - c0.server) / secs).toFixed(0)} ms/s, ${((c1.server - c0.server) / n).toFixed(1)} ms/frame`);
    const byKind = new Map<string, number>();
    for (const [p, v] of c1.ch) byKind.set(kind(p), (byKind.get(kind(p)) ?? 0) + v - (c0.ch.get(p) ?? 0));
    let tot = 0; for (const [k, v] of byKind) { tot += v; console.log(`  chromium ${k}: ${(v / secs).toFixed(0)} ms/s`); }
    const th1 = tsnap(); const rows = [...th1].map(([k, v]) => [k, v - (th0.get(k) ?? 0)] as const).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).slice(0, 25);
    for (const [k, v] of rows) console.log(`    ${k.padEnd(60)} ${(v / secs).toFixed(0)} ms/s`);
    console.log(`chromium total ${(tot / secs).toFixed(0)} ms/s; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  } finally { await browser.close(); await s.stop(); }
}
void main();
