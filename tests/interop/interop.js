// SPDX-License-Identifier: Apache-2.0
// Interop tests: the stock Node gRPC client (@grpc/grpc-js, protos loaded at
// runtime by @grpc/proto-loader from the project's api/tetragon/*.proto)
// against a running agent.
//
//   node interop.js --tcp 127.0.0.1:PORT --unix /tmp/DIR/tetragon.sock
//
// Prints "ok NAME" or "FAIL NAME: why" per test and a final
// "node-interop: N ok, N failed" line; exits 1 if anything failed.
'use strict';

const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawn } = require('child_process');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const args = { tcp: 'localhost:54321', unix: '/var/run/tetragon/tetragon.sock' };
for (let i = 2; i < process.argv.length; i += 2)
	args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

const API = path.join(__dirname, '..', '..', 'api');
const def = protoLoader.loadSync('tetragon/sensors.proto', {
	includeDirs: [API],
	keepCase: true,
	longs: String,
	enums: String,
	defaults: false,
	oneofs: true,
});
const tetragon = grpc.loadPackageDefinition(def).tetragon;
const SERVICE = '/tetragon.FineGuidanceSensors/';

function client(target) {
	return new tetragon.FineGuidanceSensors(target, grpc.credentials.createInsecure());
}

const tcpTarget = args.tcp;
const unixTarget = 'unix://' + args.unix;

function unary(c, method, req, timeoutMs = 10000) {
	return new Promise((resolve, reject) => {
		c[method](req, { deadline: Date.now() + timeoutMs }, (err, resp) => (err ? reject(err) : resolve(resp)));
	});
}

function fail(msg) {
	throw new Error(msg);
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

// Run a command to completion.
function run(cmd, argv) {
	return new Promise((resolve, reject) => {
		const p = spawn(cmd, argv, { stdio: 'ignore' });
		p.on('error', reject);
		p.on('exit', () => resolve());
	});
}

// A GetEvents stream that records events; ready once the agent sent headers
// (it sends them after registering the stream, so no event is missed after).
function openStream(c, req) {
	const s = { events: [], error: null, ended: false };
	s.call = c.GetEvents(req);
	s.ready = new Promise((resolve, reject) => {
		s.call.on('metadata', () => resolve());
		s.call.on('error', (e) => {
			s.error = e;
			reject(e);
		});
	});
	s.call.on('data', (ev) => s.events.push(ev));
	s.call.on('end', () => (s.ended = true));
	s.waitFor = async (pred, what, timeoutMs = 15000) => {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const ev = s.events.find(pred);
			if (ev)
				return ev;
			if (s.error)
				fail(`stream failed while waiting for ${what}: ${s.error.message}`);
			if (Date.now() > deadline)
				fail(`timed out waiting for ${what} (${s.events.length} events received)`);
			await sleep(50);
		}
	};
	s.close = () => {
		s.call.on('error', () => {});
		s.call.cancel();
	};
	return s;
}

const execOf = (binary, args) => (ev) =>
	ev.process_exec && ev.process_exec.process && ev.process_exec.process.binary === binary &&
	(args === undefined || ev.process_exec.process.arguments === args);

// A copy of /bin/true with a name of its own, so filters can single it out.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-interop-'));
const marker = path.join(tmp, 'interop-marker');
fs.copyFileSync('/bin/true', marker);
fs.chmodSync(marker, 0o755);

const tests = [];
function test(name, fn) {
	tests.push({ name, fn });
}

test('GetHealth over TCP', async () => {
	const r = await unary(client(tcpTarget), 'GetHealth', {});
	const hs = r.health_status || [];
	if (hs.length !== 1)
		fail(`want 1 health status, got ${JSON.stringify(r)}`);
	if (hs[0].status !== 'HEALTH_STATUS_RUNNING' || hs[0].event !== 'HEALTH_STATUS_TYPE_STATUS' ||
	    hs[0].details !== 'running')
		fail(`unexpected health ${JSON.stringify(hs[0])}`);
});

test('GetVersion over the unix socket', async () => {
	const r = await unary(client(unixTarget), 'GetVersion', {});
	if (typeof r.version !== 'string' || !r.version.length)
		fail(`empty version: ${JSON.stringify(r)}`);
});

test('ListSensors lists the base sensor', async () => {
	const r = await unary(client(tcpTarget), 'ListSensors', {});
	const base = (r.sensors || []).find((x) => x.name === '__base__');
	if (!base || !base.enabled)
		fail(`no enabled __base__ sensor in ${JSON.stringify(r)}`);
});

test('GetEvents streams the exec with binary and arguments', async () => {
	const s = openStream(client(tcpTarget), {});
	try {
		await s.ready;
		await run(marker, ['first', 'with space']);
		const ev = await s.waitFor(execOf(marker), 'the marker exec');
		const p = ev.process_exec.process;
		if (p.arguments !== 'first "with space"')
			fail(`arguments: got ${JSON.stringify(p.arguments)}`);
		if (!p.pid || !p.pid.value)
			fail('no pid');
		if (!p.exec_id)
			fail('no exec_id');
		if (!ev.node_name || !ev.time)
			fail('no node_name or time');
		if (!ev.process_exec.parent || !ev.process_exec.parent.binary)
			fail('no parent');
		// and its exit
		await s.waitFor((e) => e.process_exit && e.process_exit.process.exec_id === p.exec_id, 'its exit');
	} finally {
		s.close();
	}
});

test('GetEvents allow list binary_regex, event_set, deny list and two streams at once', async () => {
	const c = client(tcpTarget);
	const all = openStream(c, {});
	const filtered = openStream(c, {
		allow_list: [{ binary_regex: ['interop-marker$'], event_set: ['PROCESS_EXEC'] }],
		deny_list: [{ arguments_regex: ['^denied'] }],
	});
	try {
		await Promise.all([all.ready, filtered.ready]);
		await run('/bin/sh', ['-c', 'exit 0']);
		await run(marker, ['denied']);
		await run(marker, ['allowed']);
		await filtered.waitFor(execOf(marker, 'allowed'), 'the allowed marker exec');
		await all.waitFor(execOf(marker, 'allowed'), 'the marker exec on the unfiltered stream');
		await all.waitFor(execOf('/bin/sh'), 'the sh exec on the unfiltered stream');
		await all.waitFor(execOf(marker, 'denied'), 'the denied exec on the unfiltered stream');
		const bad = filtered.events.filter((e) => !execOf(marker, 'allowed')(e));
		if (bad.length)
			fail(`filtered stream got ${bad.length} other events, e.g. ${JSON.stringify(bad[0]).slice(0, 300)}`);
	} finally {
		all.close();
		filtered.close();
	}
});

test('GetEvents field filters', async () => {
	const s = openStream(client(tcpTarget), {
		allow_list: [{ binary_regex: ['interop-marker$'] }],
		field_filters: [{ event_set: ['PROCESS_EXEC'], fields: { paths: ['process.binary', 'process.arguments'] },
				  action: 'INCLUDE' }],
	});
	try {
		await s.ready;
		await run(marker, ['fields']);
		const ev = await s.waitFor(execOf(marker, 'fields'), 'the marker exec');
		const keys = Object.keys(ev.process_exec.process).filter((k) => ev.process_exec.process[k] !== null);
		if (keys.sort().join(',') !== 'arguments,binary' || ev.process_exec.parent)
			fail(`fields not filtered: ${JSON.stringify(ev.process_exec)}`);
		// not in the event set: exits keep every field
		const exit = await s.waitFor((e) => e.process_exit, 'the marker exit');
		if (!exit.process_exit.process.exec_id)
			fail('exit lost its fields');
	} finally {
		s.close();
	}
});

test('GetEvents over the unix socket', async () => {
	const s = openStream(client(unixTarget), { allow_list: [{ binary_regex: ['interop-marker$'] }] });
	try {
		await s.ready;
		await run(marker, ['unix']);
		await s.waitFor(execOf(marker, 'unix'), 'the marker exec');
	} finally {
		s.close();
	}
});

test('GetEvents with a bad filter answers INVALID_ARGUMENT', async () => {
	const s = openStream(client(tcpTarget), { allow_list: [{ binary_regex: ['('] }] });
	try {
		await s.ready;
		fail('the stream was accepted');
	} catch (e) {
		if (e.code !== grpc.status.INVALID_ARGUMENT || !/binary_regex\[0\]/.test(e.details))
			fail(`want INVALID_ARGUMENT naming binary_regex[0], got ${e.code}: ${e.details}`);
	}
});

const watched = path.join(tmp, 'watched-');
const policyYaml = `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "interop-open"
spec:
  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 1
      type: "string"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Prefix"
        values: ["${watched}"]
`;
const kprobeOf = (file) => (ev) =>
	ev.process_kprobe && ev.process_kprobe.policy_name === 'interop-open' &&
	(ev.process_kprobe.args || []).some((a) => a.string_arg === file);

async function listed(c) {
	const r = await unary(c, 'ListTracingPolicies', {});
	return (r.policies || []).find((p) => p.name === 'interop-open');
}

test('AddTracingPolicy, ListTracingPolicies, Disable/Enable, DeleteTracingPolicy and their events', async () => {
	const c = client(tcpTarget);
	const s = openStream(c, {});
	let seq = 0;
	const touch = () => {
		const f = watched + ++seq;
		fs.writeFileSync(f, 'x');	/* openat(O_CREAT) of a watched path */
		return f;
	};
	try {
		await s.ready;
		await unary(c, 'AddTracingPolicy', { yaml: policyYaml });
		let p = await listed(c);
		if (!p || p.state !== 'TP_STATE_ENABLED' || p.mode !== 'TP_MODE_ENFORCE' ||
		    !(p.sensors || []).includes('generic_kprobe') || !(Number(p.id) > 0))
			fail(`listed as ${JSON.stringify(p)}`);
		const f1 = touch();
		const ev = await s.waitFor(kprobeOf(f1), 'the policy event');
		if (ev.process_kprobe.function_name !== '__x64_sys_openat' || ev.process_kprobe.process.pid.value !== process.pid)
			fail(`event ${JSON.stringify(ev.process_kprobe).slice(0, 300)}`);

		await unary(c, 'DisableTracingPolicy', { name: 'interop-open' });
		p = await listed(c);
		if (!p || p.state !== 'TP_STATE_DISABLED')
			fail(`after disable: ${JSON.stringify(p)}`);
		const f2 = touch();
		await unary(c, 'EnableTracingPolicy', { name: 'interop-open' });
		const f3 = touch();
		await s.waitFor(kprobeOf(f3), 'the event after enable');
		if (s.events.find(kprobeOf(f2)))
			fail('an event while the policy was disabled');

		try {
			await unary(c, 'AddTracingPolicy', { yaml: policyYaml });
			fail('a second policy of the same name was added');
		} catch (e) {
			if (e.code !== grpc.status.ALREADY_EXISTS)
				fail(`duplicate: got ${e.code}: ${e.details}`);
		}
		// a burst of watched opens still in flight while the policy goes: its queued
		// records must be dropped, not decoded against another hook (the shell
		// checks the agent's bad_msgs=0 at the end)
		const burst = runStatus('/bin/sh', ['-c', `i=0; while [ $i -lt 3000 ]; do : > ${watched}b$i; i=$((i+1)); done`]);
		await sleep(20);
		await unary(c, 'DeleteTracingPolicy', { name: 'interop-open' });
		await burst;
		if (await listed(c))
			fail('still listed after delete');
		const f4 = touch();
		const f5 = touch();
		// the sentinel: an exec after the opens, through the same ring buffer
		// and stream; once it is here, an event of theirs would be too
		await run(marker, ['after-delete']);
		await s.waitFor(execOf(marker, 'after-delete'), 'the exec after the delete');
		if (s.events.find(kprobeOf(f4)) || s.events.find(kprobeOf(f5)))
			fail('an event after delete');
		try {
			await unary(c, 'DeleteTracingPolicy', { name: 'interop-open' });
			fail('deleting twice succeeded');
		} catch (e) {
			if (e.code !== grpc.status.NOT_FOUND)
				fail(`delete unknown: got ${e.code}: ${e.details}`);
		}
	} finally {
		s.close();
	}
});

// Run a command to completion: its exit code and signal.
function runStatus(cmd, argv) {
	return new Promise((resolve, reject) => {
		const p = spawn(cmd, argv, { stdio: 'ignore' });
		p.on('error', reject);
		p.on('exit', (code, signal) => resolve({ code, signal }));
	});
}

async function policyNamed(c, name, req = {}) {
	const r = await unary(c, 'ListTracingPolicies', req);
	return (r.policies || []).find((p) => p.name === name);
}

async function expectCode(promise, code, what, re) {
	try {
		await promise;
	} catch (e) {
		if (e.code !== code || (re && !re.test(e.details)))
			fail(`${what}: want ${code}${re ? ' matching ' + re : ''}, got ${e.code}: ${e.details}`);
		return e;
	}
	fail(`${what}: succeeded`);
}

test('ListTracingPolicies lists the --tracing-policy files: running (domain static) and refused (load_error)', async () => {
	if (!args['static-cat'])
		fail('needs --static-cat (the agent started with --tracing-policy files)');
	const c = client(tcpTarget);
	const p = await policyNamed(c, 'interop-static');
	if (!p || p.state !== 'TP_STATE_ENABLED' || p.domain !== 'static' || p.mode !== 'TP_MODE_MONITOR' ||
	    !(p.sensors || []).includes('generic_kprobe'))
		fail(`interop-static listed as ${JSON.stringify(p)}`);
	const hs = p.hook_statuses || [];
	if (hs.length !== 1 || hs[0].section !== 'kprobes' || hs[0].state !== 'STATUS_LOADED' ||
	    hs[0].hook_description !== 'sys_openat')
		fail(`interop-static hook statuses ${JSON.stringify(hs)}`);
	const l = await policyNamed(c, 'interop-lsm');
	if (!l || l.state !== 'TP_STATE_LOAD_ERROR' || l.domain !== 'static' || !/lsmhooks/.test(l.error || ''))
		fail(`interop-lsm listed as ${JSON.stringify(l)}`);
	// a domain in the request lists that domain only
	if (await policyNamed(c, 'interop-static', { domain: 'grpc' }))
		fail('listed under domain grpc');
	if (!(await policyNamed(c, 'interop-static', { domain: 'static' })))
		fail('not listed under domain static');
	const sensors = await unary(c, 'ListSensors', {});
	const s = (sensors.sensors || []).find((x) => x.collection === 'interop-static');
	if (!s || s.name !== 'generic_kprobe' || !s.enabled)
		fail(`ListSensors: ${JSON.stringify(sensors)}`);
});

test('monitor mode reports a Sigkill without killing; ConfigureTracingPolicy TP_MODE_ENFORCE kills; action counters', async () => {
	if (!args['static-cat'])
		fail('needs --static-cat');
	const c = client(tcpTarget);
	const s = openStream(c, {});
	const cat = args['static-cat'];
	const watched = (n) => args['static-watched'] + n;
	const kp = (file) => (ev) =>
		ev.process_kprobe && ev.process_kprobe.policy_name === 'interop-static' &&
		(ev.process_kprobe.args || []).some((a) => a.string_arg === file);
	try {
		await s.ready;
		const before = (await policyNamed(c, 'interop-static')).stats.action_counters || {};
		let r = await runStatus(cat, [watched(1)]);
		if (r.signal)
			fail(`killed in monitor mode (${r.signal})`);
		await s.waitFor(kp(watched(1)), 'the monitor-mode event');
		let p = await policyNamed(c, 'interop-static');
		let ac = p.stats.action_counters || {};
		if (Number(ac.post || 0) <= Number(before.post || 0) ||
		    Number(ac.monitor_signal || 0) <= Number(before.monitor_signal || 0))
			fail(`counters after the monitor-mode event: ${JSON.stringify(ac)}`);
		const sc = (p.stats.selector_action_counters || [])[0];
		if (!sc || sc.hook !== 'kprobe:sys_openat' || Number((sc.hook_index || {}).value || 0) !== 0 ||
		    Number((sc.selector_index || {}).value || 0) !== 0 || !(Number(sc.action_counters.monitor_signal) >= 1))
			fail(`selector counters: ${JSON.stringify(p.stats.selector_action_counters)}`);

		await unary(c, 'ConfigureTracingPolicy', { name: 'interop-static', mode: 'TP_MODE_ENFORCE' });
		p = await policyNamed(c, 'interop-static');
		if (p.mode !== 'TP_MODE_ENFORCE' || p.state !== 'TP_STATE_ENABLED')
			fail(`after the mode change: ${JSON.stringify(p)}`);
		r = await runStatus(cat, [watched(2)]);
		if (r.signal !== 'SIGKILL')
			fail(`enforce mode: cat ended with ${JSON.stringify(r)}`);
		const ev = await s.waitFor(kp(watched(2)), 'the enforce-mode event');
		if (ev.process_kprobe.action !== 'KPROBE_ACTION_SIGKILL')
			fail(`action ${ev.process_kprobe.action}`);
		ac = (await policyNamed(c, 'interop-static')).stats.action_counters || {};
		if (!(Number(ac.signal || 0) >= 1))
			fail(`counters after the Sigkill: ${JSON.stringify(ac)}`);
		await unary(c, 'ConfigureTracingPolicy', { name: 'interop-static', mode: 'TP_MODE_MONITOR' });
	} finally {
		s.close();
	}
});

test('Enable/Disable in the wrong state answer FAILED_PRECONDITION; namespace and domain name a policy', async () => {
	const c = client(unixTarget);
	await expectCode(unary(c, 'EnableTracingPolicy', { name: 'interop-static' }), grpc.status.FAILED_PRECONDITION,
			 'enable an enabled policy', /is not disabled/);
	await expectCode(unary(c, 'DisableTracingPolicy', { name: 'interop-lsm' }), grpc.status.FAILED_PRECONDITION,
			 'disable a policy in load_error', /is not enabled/);
	await expectCode(unary(c, 'DisableTracingPolicy', { name: 'interop-static', namespace: 'other' }),
			 grpc.status.NOT_FOUND, 'disable in another namespace');
	await expectCode(unary(c, 'DisableTracingPolicy', { name: 'interop-static', domain: 'grpc' }),
			 grpc.status.NOT_FOUND, 'disable in another domain');
	await expectCode(unary(c, 'EnableTracingPolicy', { name: 'no-such-policy' }), grpc.status.NOT_FOUND,
			 'enable an unknown policy');
	await expectCode(unary(c, 'ConfigureTracingPolicy', { name: 'interop-static', mode: 'TP_MODE_MONITOR_ONLY' }),
			 grpc.status.INVALID_ARGUMENT, 'an unsupported mode');
});

test('AddTracingPolicy of a policy this engine cannot run: FAILED_PRECONDITION, listed in load_error, replaced, deleted', async () => {
	const c = client(tcpTarget);
	const yaml = (name) => `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "${name}"
spec:
  lsmhooks:
  - hook: "bprm_check_security"
`;
	await expectCode(unary(c, 'AddTracingPolicy', { yaml: yaml('interop-refused') }), grpc.status.FAILED_PRECONDITION,
			 'add an lsmhooks policy', /lsmhooks/);
	let p = await policyNamed(c, 'interop-refused');
	if (!p || p.state !== 'TP_STATE_LOAD_ERROR' || p.domain !== 'grpc' || !/lsmhooks/.test(p.error || ''))
		fail(`listed as ${JSON.stringify(p)}`);
	const id = Number(p.id);
	// a policy in load_error holds nothing in the kernel: adding it again replaces it
	await expectCode(unary(c, 'AddTracingPolicy', { yaml: yaml('interop-refused') }), grpc.status.FAILED_PRECONDITION,
			 'add it again');
	p = await policyNamed(c, 'interop-refused');
	if (!p || !(Number(p.id) > id))
		fail(`not replaced: ${JSON.stringify(p)}`);
	await unary(c, 'DeleteTracingPolicy', { name: 'interop-refused' });
	if (await policyNamed(c, 'interop-refused'))
		fail('still listed after delete');
	await unary(c, 'GetHealth', {});
});

test('AddTracingPolicy at the selector value limit (65536 strings) loads in seconds; one more is refused', async () => {
	const c = client(tcpTarget);
	const big = (name, n) => policyYaml.replace('name: "interop-open"', `name: "${name}"`)
		.replace('operator: "Prefix"', 'operator: "Equal"')
		.replace(/values: \[[^\]]*\]/, `values: [${Array.from({ length: n }, (_, i) => `"/tmp/v${i}"`).join(',')}]`);
	const t0 = Date.now();
	await unary(c, 'AddTracingPolicy', { yaml: big('interop-big', 65536) }, 60000);
	const ms = Date.now() - t0;
	const p = await policyNamed(c, 'interop-big');
	if (!p || p.state !== 'TP_STATE_ENABLED')
		fail(`listed as ${JSON.stringify(p)}`);
	await unary(c, 'DeleteTracingPolicy', { name: 'interop-big' });
	if (ms > 20000)
		fail(`took ${ms} ms (the event loop waits that long)`);
	await expectCode(unary(c, 'AddTracingPolicy', { yaml: big('interop-big', 65537) }, 60000),
			 grpc.status.FAILED_PRECONDITION, 'one value over', /at most 65536/);
	await unary(c, 'DeleteTracingPolicy', { name: 'interop-big' });
});

test('ListDomains: the domains of the policies, sorted, each once', async () => {
	const c = client(tcpTarget);
	const domains = async () => (await unary(c, 'ListDomains', {})).domains || [];
	let d = await domains();
	if (!d.includes('static') || d.includes('team-a'))
		fail(`before: ${JSON.stringify(d)}`);
	const yaml = (name) => `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "${name}"
spec:
  lsmhooks:
  - hook: "bprm_check_security"
`;
	// policies this engine refuses stay listed (load_error), with their domain
	for (const n of ['interop-dom-1', 'interop-dom-2'])
		await expectCode(unary(c, 'AddTracingPolicy', { yaml: yaml(n), domain: 'team-a' }),
				 grpc.status.FAILED_PRECONDITION, `add ${n}`);
	d = await domains();
	if (d.filter((x) => x === 'team-a').length !== 1 || JSON.stringify(d) !== JSON.stringify([...d].sort()))
		fail(`with team-a: ${JSON.stringify(d)}`);
	for (const n of ['interop-dom-1', 'interop-dom-2'])
		await unary(c, 'DeleteTracingPolicy', { name: n, domain: 'team-a' });
	d = await domains();
	if (d.includes('team-a'))
		fail(`after delete: ${JSON.stringify(d)}`);
});

test('AddTracingPolicy with bad YAML answers INVALID_ARGUMENT with line:col', async () => {
	try {
		await unary(client(unixTarget), 'AddTracingPolicy', {
			yaml: 'apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: bad\nspec:\n  kprobes:\n  - call: sys_openat\n    bogus: 1\n',
		});
		fail('AddTracingPolicy succeeded');
	} catch (e) {
		if (e.code !== grpc.status.INVALID_ARGUMENT || !/policy:8:5: .*unknown field "bogus"/.test(e.details))
			fail(`got ${e.code}: ${e.details}`);
	}
	await unary(client(tcpTarget), 'GetHealth', {});	/* still serving */
});

test('declared but unimplemented method answers UNIMPLEMENTED', async () => {
	try {
		await unary(client(tcpTarget), 'GetInfo', {});
		fail('GetInfo succeeded');
	} catch (e) {
		if (e.code !== grpc.status.UNIMPLEMENTED)
			fail(`got ${e.code}: ${e.details}`);
	}
});

test('a client that stops reading loses events; the others get every one', async () => {
	if (!args.storm || !args['agent-log'])
		fail('needs --storm HELPER and --agent-log FILE');
	const n = Number(args['storm-n'] || 1200);
	const storm = path.join(tmp, 'interop-storm');
	fs.copyFileSync('/bin/true', storm);
	fs.chmodSync(storm, 0o755);
	const c = client(tcpTarget);
	const slow = openStream(c, {});
	const fast = openStream(client(unixTarget), {
		allow_list: [{ binary_regex: ['interop-storm$'], event_set: ['PROCESS_EXEC'] }],
	});
	try {
		await Promise.all([slow.ready, fast.ready]);
		slow.call.pause();	// HTTP/2 flow control stops the agent's writes to it
		await run(args.storm, [String(n), storm]);
		const deadline = Date.now() + 60000;
		while (fast.events.length < n && Date.now() < deadline && !fast.error)
			await sleep(100);
		if (fast.events.length !== n)
			fail(`the reading client got ${fast.events.length} of ${n} execs`);
		const log = fs.readFileSync(args['agent-log'], 'utf8');
		if (!/GetEvents client .+ reads too slowly: \d+ events dropped/.test(log))
			fail('the agent did not report the slow client');
	} finally {
		slow.close();
		fast.close();
	}
});

test('unknown method and unknown service answer status 12', async () => {
	const raw = new grpc.Client(tcpTarget, grpc.credentials.createInsecure());
	const call = (method) =>
		new Promise((resolve) => {
			raw.makeUnaryRequest(method, (x) => x, (x) => x, Buffer.alloc(0), (err) => resolve(err));
		});
	for (const m of [SERVICE + 'NoSuchMethod', '/no.such.Service/Get']) {
		const err = await call(m);
		if (!err || err.code !== 12)
			fail(`${m}: want status 12, got ${err ? err.code + ' ' + err.details : 'success'}`);
	}
	raw.close();
});

(async () => {
	let ok = 0, failed = 0;
	for (const t of tests) {
		const start = Date.now();
		try {
			await t.fn();
			ok++;
			console.log(`ok   ${t.name} (${((Date.now() - start) / 1000).toFixed(1)}s)`);
		} catch (e) {
			failed++;
			console.log(`FAIL ${t.name}: ${e.message}`);
		}
	}
	fs.rmSync(tmp, { recursive: true, force: true });
	console.log(`node-interop: ${ok} ok, ${failed} failed`);
	process.exit(failed ? 1 : 0);
})();
