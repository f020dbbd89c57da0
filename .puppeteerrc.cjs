// Puppeteer (used by @mermaid-js/mermaid-cli in the tests) never downloads a browser: it drives the
// Debian chromium package.
module.exports = {
  skipDownload: true,
  executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || "/usr/bin/chromium",
};
