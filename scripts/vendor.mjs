// Copies the built front-end files from node_modules into the Django static folder, so that
// pages load them from this server: a county intranet has no internet and no CDN.
import { cpSync, mkdirSync, rmSync } from "node:fs";

const target = "src/bangban/static/vendor";
const files = {
  "bootstrap/dist/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
  "bootstrap/dist/css/bootstrap.min.css.map": "bootstrap/bootstrap.min.css.map",
  "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap/bootstrap.bundle.min.js",
  "bootstrap/dist/js/bootstrap.bundle.min.js.map": "bootstrap/bootstrap.bundle.min.js.map",
  "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
  "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
};
rmSync(target, { recursive: true, force: true });
for (const [from, to] of Object.entries(files)) {
  const dest = `${target}/${to}`;
  mkdirSync(dest.substring(0, dest.lastIndexOf("/")), { recursive: true });
  cpSync(`node_modules/${from}`, dest);
}
console.log(`copied ${Object.keys(files).length} files into ${target}`);
