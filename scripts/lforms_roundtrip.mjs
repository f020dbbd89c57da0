// Fills the pathway's SDC Questionnaires in LHC-Forms (npm lforms) in headless Chromium, as a user would:
//   node scripts/lforms_roundtrip.mjs < cases.json > results.json
// cases.json: [{"name": "...", "questionnaire": {Questionnaire}, "answers": {"linkId": value | [values]},
//               "screenshot": "/path/form.png"}, ...]
// Each form is rendered by the LHC-Forms web component; each answer is given through the page: a click on the
// radio button or check box of a boolean or coded answer, typing into the field of a number, text or date
// (MM/DD/YYYY, the form's own format). Then LForms.Util.getFormFHIRData gives the QuestionnaireResponse.
// Prints {"name": {"response": QuestionnaireResponse, "errors": [page errors], "shown": [item linkIds shown]}}.
// The browser is the Debian chromium (PUPPETEER_EXECUTABLE_PATH overrides); nothing is downloaded.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import puppeteer from 'puppeteer';

const require = createRequire(import.meta.url);
const LFORMS = join(dirname(require.resolve('lforms/package.json')), 'dist', 'lforms');

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf-8'));
}

function css(id) {
  return `[id="${id.replaceAll('"', '\\"')}"]`;
}

async function fill(page, item, value) {
  const at = `${item.linkId}/1`;
  const values = Array.isArray(value) ? value : [value];
  if (item.type === 'boolean') {
    await page.click(css(`${at}|${value}`));
  } else if (item.type === 'choice') {
    for (const code of values) {
      const option = item.answerOption.find((o) => o.valueCoding.code === code);
      if (!option) throw new Error(`${item.linkId}: no option ${code}`);
      await page.click(css(`${at}|${option.valueCoding.system}|${code}`));
    }
  } else if (item.type === 'date') {
    const [y, m, d] = String(value).split('-');
    const input = await page.$(`${css(`item-${at}`)} input`);
    await input.click();
    await input.type(`${m}/${d}/${y}`);
    await input.press('Tab');
  } else {
    const input = await page.$(css(at));
    await input.click();
    await input.type(String(value));
    await input.press('Tab');
  }
}

async function main() {
  const cases = await readStdin();
  const browser = await puppeteer.launch({
    executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    headless: true,
  });
  const results = {};
  try {
    for (const form of cases) {
      const page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (error) => errors.push(String(error.message || error)));
      await page.setViewport({ width: 1000, height: 900 });
      await page.setContent('<!doctype html><html><head></head><body><div id="form"></div></body></html>');
      await page.addStyleTag({ path: join(LFORMS, 'webcomponent', 'styles.css') });
      await page.addScriptTag({ path: join(LFORMS, 'webcomponent', 'assets', 'lib', 'zone.min.js') });
      await page.addScriptTag({ path: join(LFORMS, 'webcomponent', 'lhc-forms.js') });
      await page.addScriptTag({ path: join(LFORMS, 'fhir', 'R4', 'lformsFHIR.min.js') });
      await page.waitForFunction(() => window.LForms?.Util?.addFormToPage, { timeout: 30000 });
      await page.evaluate(async (q) => {
        await LForms.Util.addFormToPage(q, 'form');
      }, form.questionnaire);
      await page.waitForSelector('lhc-item', { timeout: 30000 });
      const items = Object.fromEntries(form.questionnaire.item.map((item) => [item.linkId, item]));
      for (const [linkId, value] of Object.entries(form.answers)) {
        if (!items[linkId]) throw new Error(`${form.name}: the form has no item ${linkId}`);
        await fill(page, items[linkId], value);
      }
      // The top-level questions shown (a group's own questions are inside it: item-<group>/1/<question>/1).
      const shown = await page.evaluate(() => [
        ...new Set([...document.querySelectorAll('lhc-item')].map((e) => e.id.replace(/^item-/, '').split('/')[0])),
      ]);
      if (form.screenshot) {
        await new Promise((resolve) => setTimeout(resolve, 500)); // let the radio buttons' animation settle
        await page.screenshot({ path: form.screenshot, fullPage: true });
      }
      const response = await page.evaluate(() => LForms.Util.getFormFHIRData('QuestionnaireResponse', 'R4'));
      results[form.name] = { response, errors, shown };
      await page.close();
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
