// A minimal W3C WebDriver client over fetch (Node 20), enough for our tests.
// We talk to WebKitWebDriver directly (see tests/README.md for why).

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export class WebDriverError extends Error {}

export class Session {
  constructor(driverUrl, id) {
    this.driverUrl = driverUrl;
    this.id = id;
  }

  static async create(driverUrl, capabilities) {
    const value = await command(driverUrl, 'POST', '/session', { capabilities });
    return new Session(driverUrl, value.sessionId);
  }

  cmd(method, path, body) {
    return command(this.driverUrl, method, `/session/${this.id}${path}`, body);
  }

  async findAll(css) {
    const found = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return found.map((e) => new Element(this, e[ELEMENT]));
  }

  async screenshotPng() {
    return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64');
  }

  async close() {
    await this.cmd('DELETE', '');
  }
}

export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }

  cmd(method, path, body) {
    return this.session.cmd(method, `/element/${this.id}${path}`, body);
  }

  /** The element's textContent. WebKitWebDriver's "Get Element Text" answers
   *  "" under Xvfb without a window manager, so we read the DOM property. */
  text() {
    return this.property('textContent');
  }

  attribute(name) {
    return this.cmd('GET', `/attribute/${encodeURIComponent(name)}`);
  }

  property(name) {
    return this.cmd('GET', `/property/${encodeURIComponent(name)}`);
  }

  click() {
    return this.cmd('POST', '/click', {});
  }

  type(text) {
    return this.cmd('POST', '/value', { text });
  }

  async findAll(css) {
    const found = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return found.map((e) => new Element(this.session, e[ELEMENT]));
  }
}

async function command(driverUrl, method, path, body) {
  const response = await fetch(driverUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) {
    const { error, message } = json.value ?? {};
    throw new WebDriverError(`${method} ${path}: ${error}: ${message}`);
  }
  return json.value;
}
