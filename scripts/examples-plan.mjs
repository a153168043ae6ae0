// Part of `npm start`: decides which example workflows to import, so an example the operator edited in
// the editor is never overwritten. Run under Node 24 (node:sqlite) before n8n starts.
//
//   node scripts/examples-plan.mjs plan <database.sqlite> <state.json> <reimport: 0|1> <workflow.json ...>
//       prints the files to import, one per line; says why for each file on stderr
//   node scripts/examples-plan.mjs record <database.sqlite> <state.json> <workflow.json ...>
//       after they were imported: remembers each file's hash and the version n8n gave the workflow
//
// An example is imported when its workflow is missing, or when the file changed since the last import
// and the workflow is still the version that import made (the operator has not edited it). With
// reimport=1 (npm start -- --reimport-examples) every example is imported again, edits or not.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const [command, databaseFile, stateFile, ...rest] = process.argv.slice(2);
const readState = () => (existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : {});
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const say = (text) => process.stderr.write(`[n8n.sh] ${text}\n`);

/** The stored workflow's current version id, or undefined when n8n has no such workflow. */
function storedVersions(ids) {
	const versions = new Map();
	if (!existsSync(databaseFile)) return versions;
	const db = new DatabaseSync(databaseFile, { readOnly: true });
	try {
		const query = db.prepare('SELECT versionId FROM workflow_entity WHERE id = ?');
		for (const id of ids) {
			const row = query.get(id);
			if (row) versions.set(id, row.versionId);
		}
	} finally {
		db.close();
	}
	return versions;
}

const exampleId = (file) => JSON.parse(readFileSync(file, 'utf8')).id;

if (command === 'plan') {
	const [reimport, ...files] = rest;
	const state = readState();
	const versions = storedVersions(files.map(exampleId));
	for (const file of files) {
		const name = basename(file);
		const id = exampleId(file);
		const last = state[name];
		if (reimport === '1') {
			say(`${name}: importing again (--reimport-examples)`);
			console.log(file);
		} else if (!versions.has(id)) {
			say(`${name}: importing (not in n8n yet)`);
			console.log(file);
		} else if (!last || last.versionId !== versions.get(id)) {
			say(
				`${name}: kept as it is in n8n (edited there); npm start -- --reimport-examples replaces it`,
			);
		} else if (last.sha256 !== sha256(file)) {
			say(`${name}: importing the changed file (the workflow in n8n was not edited)`);
			console.log(file);
		}
	}
} else if (command === 'record') {
	const state = readState();
	const versions = storedVersions(rest.map(exampleId));
	for (const file of rest) {
		const versionId = versions.get(exampleId(file));
		if (versionId) state[basename(file)] = { sha256: sha256(file), versionId };
	}
	writeFileSync(stateFile, `${JSON.stringify(state, null, '\t')}\n`);
} else {
	console.error('usage: examples-plan.mjs plan|record <database> <state> ...');
	process.exit(2);
}
