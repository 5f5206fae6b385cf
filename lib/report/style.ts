/** The page's stylesheet and its one script, inline (the page loads nothing from anywhere). */
import { createHash } from 'node:crypto';

export const CSS = `
:root { --built: #2e7d32; --stale: #f9a825; --pending: #9e9e9e; --failed: #c62828; --archived: #5c6bc0; --ink: #1d1d1f; --line: #d0d0d7; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0 auto; padding: 24px; max-width: 1200px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 16px 0 4px; } .meta { color: #555; margin: 0 0 12px; } .note { background: #fff8e1; padding: 6px 10px; border-radius: 4px; }
table { border-collapse: collapse; } th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f7; font-weight: 600; } .scroll { overflow-x: auto; }
td.cell { text-align: center; color: #fff; font-weight: 600; min-width: 76px; } td.cell a { color: inherit; }
td.empty { background: repeating-linear-gradient(45deg, #fafafa, #fafafa 4px, #f0f0f0 4px, #f0f0f0 8px); }
.state-built { background: var(--built); } .state-stale { background: var(--stale); color: #1d1d1f !important; }
.state-pending { background: var(--pending); } .state-failed { background: var(--failed); } .state-archived { background: var(--archived); }
.legend { display: flex; gap: 12px; flex-wrap: wrap; margin: 8px 0; padding: 0; list-style: none; }
.legend label { display: inline-flex; gap: 6px; align-items: center; cursor: pointer; }
.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; }
.dim td.cell.hidden { opacity: 0.15; }
.failure { border-left: 4px solid var(--failed); padding: 4px 12px; margin: 8px 0; background: #fdf3f3; }
.error { font-family: ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; margin: 4px 0; }
.hint { margin: 4px 0; } .small { color: #555; font-size: 12px; }
.tables { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 12px; }
.tablecard { border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
.tablecard h4 { margin: 0 0 4px; font-size: 13px; word-break: break-all; }
svg text { font: 10px system-ui, sans-serif; fill: var(--ink); } .chart rect { fill: #3f6fb5; } .chart .period { fill: #555; }
.dag line { stroke: #888; stroke-width: 1.2; } .dag marker path { fill: #888; } .dag rect { stroke: #333; stroke-width: 1; }
.dag .sub { font-size: 9px; } .node-built rect { fill: #c8e6c9; } .node-stale rect { fill: #fff59d; } .node-pending rect { fill: #eeeeee; }
.node-failed rect { fill: #ffcdd2; } .node-archived rect { fill: #c5cae9; } .node-waiting rect { fill: #fff; stroke-dasharray: 4 3; } .node-later rect { fill: #f4f4f7; }
.added { color: var(--built); } .removed { color: var(--failed); } .same { color: #777; }
`;

/** Dims the matrix cells of the states unticked in the legend. */
export const SCRIPT = `
document.querySelectorAll('.legend input').forEach(function (box) {
  box.addEventListener('change', function () {
    var off = Array.prototype.filter.call(document.querySelectorAll('.legend input'), function (b) { return !b.checked; }).map(function (b) { return b.value; });
    document.body.classList.toggle('dim', off.length > 0);
    document.querySelectorAll('td.cell').forEach(function (td) { td.classList.toggle('hidden', off.indexOf(td.getAttribute('data-state')) >= 0); });
  });
});
`;

/** The page's Content-Security-Policy: nothing may be fetched, and only this script may run. */
export const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'; img-src data:; base-uri 'none'; form-action 'none'`;
