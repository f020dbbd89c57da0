// Headless Chromium checks for the tests, in one browser session each:
//
//   node scripts/browser_check.mjs render < texts.json > results.json
//       texts.json: {"name": "mermaid text", ...}; renders each with the mermaid library shipped in
//       node_modules and prints {"name": {"svg": "..."} | {"error": "..."}}.
//   node scripts/browser_check.mjs page URL|FILE.html SCREENSHOT.png
//       opens a built docs page (served over http, or a file), waits for its Mermaid diagrams, saves a screenshot and prints
//       {"svgs": [text of each SVG in a .pathway-figure], "errors": [console errors], "external": [URLs not on disk]}.
//
// The browser is the Debian chromium package (PUPPETEER_EXECUTABLE_PATH overrides); --no-sandbox because
// CI runs as root.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import puppeteer from "puppeteer";

const require = createRequire(import.meta.url);
const MERMAID = require.resolve("mermaid/dist/mermaid.min.js");

async function browser() {
  return puppeteer.launch({
    executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    headless: true,
  });
}

async function render() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const texts = JSON.parse(Buffer.concat(chunks).toString("utf-8"));
  const b = await browser();
  try {
    const page = await b.newPage();
    await page.setContent("<!doctype html><html><body></body></html>");
    await page.addScriptTag({ path: MERMAID });
    const results = await page.evaluate(async (texts) => {
      mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
      const out = {};
      let n = 0;
      for (const [name, text] of Object.entries(texts)) {
        try {
          await mermaid.parse(text);
          const { svg } = await mermaid.render(`diagram${n++}`, text);
          out[name] = { svg };
        } catch (error) {
          out[name] = { error: String(error && error.message ? error.message : error) };
        }
      }
      return out;
    }, texts);
    process.stdout.write(JSON.stringify(results));
  } finally {
    await b.close();
  }
}

async function page(file, screenshot) {
  const b = await browser();
  try {
    const p = await b.newPage();
    const errors = [];
    p.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    p.on("pageerror", (e) => errors.push(String(e)));
    const external = [];
    p.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
    await p.setViewport({ width: 1400, height: 1000 });
    const url = /^https?:/.test(file) ? file : pathToFileURL(file).href;
    const origin = new URL(url).origin;
    p.on("request", (r) => /^(file|data|blob|about):/.test(r.url()) || r.url().startsWith(origin) || external.push(r.url()));
    await p.goto(url, { waitUntil: "networkidle0" });
    await p.waitForFunction(
      () => {
        const diagrams = [...document.querySelectorAll("div.mermaid")];
        return diagrams.length > 0 && diagrams.every((d) => d.querySelector("svg"));
      },
      { timeout: 30000 },
    );
    const svgs = await p.$$eval(".pathway-figure svg", (nodes) => nodes.map((n) => n.textContent));
    await p.screenshot({ path: screenshot, fullPage: true });
    process.stdout.write(JSON.stringify({ svgs, errors, external }));
  } finally {
    await b.close();
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "render") await render();
else if (mode === "page") await page(args[0], args[1]);
else {
  process.stderr.write("usage: browser_check.mjs render | page URL|FILE.html SCREENSHOT.png\n");
  process.exit(2);
}
