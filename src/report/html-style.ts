/**
 * The HTML report's stylesheet. Ids, codes and paths never break inside a word (`.id`, `code`; migration
 * names only after an underscore); side-by-side
 * tables flow in CSS columns, so a short table leaves no gap under it; below 1100px the fleet table turns
 * into one block per tenant, each cell labelled, so the page never scrolls sideways.
 */
export const CSS = `
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:24px;color:#1f2328}
h1{margin:0 0 4px;font-size:22px}h2{font-size:17px;margin:28px 0 8px}.muted{color:var(--muted)}
header p{overflow-wrap:anywhere}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:120px;background:var(--bg)}
.card b{display:block;font-size:22px}.card.bad b{color:var(--bad)}.card.ok b{color:var(--ok)}.card.warn b{color:var(--warn)}
table{border-collapse:collapse;margin:6px 0}#fleet,#failures{width:100%}
.grid{columns:30em 2;column-gap:40px}.grid>section{break-inside:avoid;display:inline-block;width:100%}.grid h2{margin-top:12px}
th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--bg)}td.num{text-align:right;white-space:nowrap}
code{font-size:12px;white-space:nowrap}.id{white-space:nowrap}td.reason{min-width:8em;overflow-wrap:anywhere}#fleet td.reason{min-width:15em}
tr.status-failed td:first-child{border-left:4px solid var(--bad)}tr.status-skipped td:first-child{border-left:4px solid var(--warn)}
.st-failed,.st-interrupted,.bad{color:var(--bad);font-weight:600}.st-succeeded{color:var(--ok)}.st-skipped,.st-running,.st-queued{color:var(--warn)}
ul,ol{margin:0;padding-left:18px}details summary{cursor:pointer}
@media (max-width:1100px){
#fleet thead{display:none}#fleet,#fleet tbody,#fleet tr,#fleet td{display:block;width:100%}
#fleet tr{border:1px solid var(--line);margin:0 0 10px}#fleet td{border:0;border-top:1px solid var(--bg);text-align:left}
#fleet td[data-label]::before{content:attr(data-label);display:inline-block;min-width:7.5em;color:var(--muted)}
#fleet td.num{white-space:normal}
}
`;
