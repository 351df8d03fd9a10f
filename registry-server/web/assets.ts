/**
 * The catalog's only static files: one style sheet and one small script (the copy button). They
 * are served from addresses that carry a hash of their content, so they are cached for a year and
 * a new registry version can never be served a stale one. Pages use no inline script or style, so
 * the Content-Security-Policy allows scripts and styles from this origin only.
 */
import { createHash } from 'node:crypto';

const STYLE = `
:root{--ink:#172033;--muted:#5b6475;--line:#e3e7ee;--bg:#f6f7fb;--card:#fff;--accent:#3b5bdb;--accent-ink:#fff;--code:#f1f3f8;
--ok:#0f7b4b;--ok-bg:#e3f6ec;--warn:#8a5a00;--warn-bg:#fff4d6;--bad:#b42318;--bad-bg:#fde8e7;--info:#1f5fa8;--info-bg:#e5f0fc}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}
a{color:var(--accent);text-decoration:none}
a:hover{text-decoration:underline}
code,pre,kbd{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em}
.wrap{max-width:1160px;margin:0 auto;padding:0 20px}
.top{background:#111a2e;color:#e8ecf5}
.top .wrap{display:flex;align-items:center;gap:20px;min-height:60px;flex-wrap:wrap}
.brand{color:#fff;font-weight:700;font-size:18px;letter-spacing:.2px;white-space:nowrap}
.brand span{color:#9fb4ff;font-weight:500;margin-left:6px}
.brand:hover{text-decoration:none}
.search{display:flex;flex:1;min-width:240px;max-width:560px}
.search input{flex:1;border:1px solid #33405e;background:#1b2640;color:#fff;border-radius:8px 0 0 8px;padding:8px 12px;font:inherit}
.search input::placeholder{color:#95a0b8}
.search button{border:0;background:var(--accent);color:#fff;border-radius:0 8px 8px 0;padding:0 16px;font:inherit;cursor:pointer}
.who{margin-left:auto;display:flex;align-items:center;gap:12px;white-space:nowrap}
.who a,.who .linkish{color:#c9d4f2}
.who form{margin:0}
.linkish{background:none;border:0;padding:0;font:inherit;cursor:pointer;color:var(--accent)}
.linkish:hover{text-decoration:underline}
main.wrap{padding-top:28px;padding-bottom:48px}
h1{font-size:28px;line-height:1.25;margin:0 0 6px}
h2{font-size:18px;margin:0 0 12px}
h3{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:0 0 8px}
.lead{font-size:17px;color:#2f3a50;margin:4px 0 10px;max-width:820px}
.muted{color:var(--muted)}
.small{font-size:13px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 20px;margin:0 0 18px}
.columns{display:grid;grid-template-columns:minmax(0,1fr) 320px;gap:22px;align-items:start}
@media (max-width:900px){.columns{grid-template-columns:1fr}}
.badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600;vertical-align:middle;border:1px solid transparent;white-space:nowrap}
.badge.verified{color:var(--ok);background:var(--ok-bg);border-color:#b9e6cd}
.badge.instructions{color:var(--info);background:var(--info-bg);border-color:#c3dbf6}
.badge.unverified{color:var(--warn);background:var(--warn-bg);border-color:#f2d78f}
.badge.yanked,.badge.failed{color:var(--bad);background:var(--bad-bg);border-color:#f5c2bf}
.badge.deprecated{color:var(--warn);background:var(--warn-bg);border-color:#f2d78f}
.badge.passed{color:var(--ok);background:var(--ok-bg);border-color:#b9e6cd}
.badge.private{color:#4a3aa8;background:#ece9fd;border-color:#d4cdfa}
.badge.tag{color:#34405a;background:#eef1f7;border-color:#dde2ec;font-weight:500}
.skill-head{margin:0 0 20px}
.skill-head h1 .scope{color:var(--muted);font-weight:500}
.skill-head .version{font-size:16px;color:var(--muted);font-weight:500;margin-left:8px}
.meta{color:var(--muted);font-size:13px;margin:0}
.meta span+span:before{content:"\\00b7";margin:0 8px;color:#a5adbb}
.banner{border-radius:10px;padding:10px 14px;margin:0 0 16px;font-size:14px}
.banner.warn{background:var(--warn-bg);color:var(--warn);border:1px solid #f2d78f}
.banner.bad{background:var(--bad-bg);color:var(--bad);border:1px solid #f5c2bf}
.banner.info{background:var(--info-bg);color:var(--info);border:1px solid #c3dbf6}
.markdown{overflow-wrap:anywhere}
.markdown>:first-child{margin-top:0}
.markdown>:last-child{margin-bottom:0}
.markdown h1{font-size:24px;margin:22px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}
.markdown h2{font-size:19px;margin:22px 0 8px}
.markdown h3{font-size:16px;text-transform:none;letter-spacing:0;color:var(--ink);margin:18px 0 6px}
.markdown pre{background:var(--code);border-radius:8px;padding:12px 14px;overflow:auto;line-height:1.45}
.markdown code{background:var(--code);border-radius:4px;padding:1px 5px}
.markdown pre code{background:none;padding:0}
.markdown img{max-width:100%}
.markdown blockquote{margin:0;padding:2px 14px;border-left:3px solid var(--line);color:var(--muted)}
.markdown table{border-collapse:collapse}
.markdown th,.markdown td{border:1px solid var(--line);padding:4px 10px}
table.list{width:100%;border-collapse:collapse;font-size:14px}
table.list th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;border-bottom:1px solid var(--line);padding:6px 8px}
table.list td{border-bottom:1px solid #eef1f6;padding:7px 8px;vertical-align:top}
table.list tr:last-child td{border-bottom:0}
table.list td.num,table.list th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.calls{font-size:13px;color:var(--muted)}
.calls code{color:var(--ink)}
.install .cmd{display:flex;align-items:center;gap:8px;background:#111a2e;color:#e8ecf5;border-radius:8px;padding:9px 10px 9px 12px}
.install code{flex:1;min-width:0;overflow-wrap:anywhere;font-size:13px;line-height:1.4}
.install button{flex:none;align-self:flex-start;border:0;border-radius:6px;background:#2b3a5e;color:#fff;font:inherit;font-size:12px;padding:4px 10px;cursor:pointer}
.install button:hover{background:var(--accent)}
.big{font-size:26px;font-weight:700;margin:0}
.spark{display:block;width:100%;height:36px;margin-top:6px}
.spark rect{fill:#9fb4ff}
.spark rect.today{fill:var(--accent)}
.kv{margin:0;display:grid;grid-template-columns:auto minmax(0,1fr);gap:4px 12px;font-size:14px}
.kv dt{color:var(--muted)}
.kv dd{margin:0;overflow-wrap:anywhere}
ul.plain{list-style:none;margin:0;padding:0}
ul.plain li{padding:3px 0;overflow-wrap:anywhere}
.tools li code{font-size:12.5px}
.results{list-style:none;margin:0;padding:0}
.results li{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 18px;margin:0 0 12px}
.results .name{font-size:17px;font-weight:600}
.results .ver{color:var(--muted);font-size:13px;margin-left:6px}
.results p{margin:4px 0 6px;color:#2f3a50}
.chips{display:flex;flex-wrap:wrap;gap:6px;align-items:center;font-size:12.5px;color:var(--muted)}
.chip{background:#eef1f7;border-radius:6px;padding:1px 7px;color:#34405a}
.hero{padding:10px 0 18px}
.hero h1{font-size:30px}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:end;background:var(--card);border:1px solid var(--line);border-radius:12px;padding:16px 18px;margin:0 0 22px}
.filters label{display:flex;flex-direction:column;font-size:12px;font-weight:600;color:var(--muted);gap:4px;text-transform:uppercase;letter-spacing:.05em}
.filters input,.filters select{font:inherit;font-size:14px;font-weight:400;text-transform:none;letter-spacing:0;color:var(--ink);border:1px solid #cdd3de;border-radius:8px;padding:7px 10px;background:#fff;min-width:170px}
.filters .grow{flex:1}
.filters .grow input{min-width:0;width:100%}
.btn{display:inline-block;border:0;border-radius:8px;background:var(--accent);color:var(--accent-ink);font:inherit;font-weight:600;padding:8px 16px;cursor:pointer}
.btn:hover{text-decoration:none;filter:brightness(1.08)}
.pager{display:flex;gap:14px;align-items:center;justify-content:center;margin:18px 0}
.form{max-width:460px}
.form label{display:block;font-weight:600;margin:0 0 6px}
.form input[type=password]{width:100%;font:inherit;border:1px solid #cdd3de;border-radius:8px;padding:9px 12px;margin:0 0 12px}
.error{color:var(--bad)}
pre.file{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 16px;overflow:auto;font-size:13px;line-height:1.5;white-space:pre}
footer{border-top:1px solid var(--line);color:var(--muted);font-size:13px;padding:18px 0 30px}
.notfound{text-align:center;padding:60px 0}
.notfound h1{font-size:56px;color:#c3cad8;margin:0}
table.log td{font-size:13px}
table.log td code{overflow-wrap:anywhere;white-space:pre-wrap}
`;

const SCRIPT = `"use strict";
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", () => {
    const text = button.getAttribute("data-copy") || "";
    const done = (label) => {
      button.textContent = label;
      setTimeout(() => { button.textContent = "Copy"; }, 1600);
    };
    if (!navigator.clipboard) { done("Select and copy"); return; }
    navigator.clipboard.writeText(text).then(() => done("Copied"), () => done("Select and copy"));
  });
}
`;

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

export interface Asset {
  path: string;
  body: string;
  type: string;
}

export const STYLE_ASSET: Asset = { path: `/-/web/style.${digest(STYLE)}.css`, body: STYLE, type: 'text/css; charset=utf-8' };
export const SCRIPT_ASSET: Asset = { path: `/-/web/app.${digest(SCRIPT)}.js`, body: SCRIPT, type: 'text/javascript; charset=utf-8' };
export const ASSETS: readonly Asset[] = [STYLE_ASSET, SCRIPT_ASSET];
