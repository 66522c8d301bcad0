// SPDX-License-Identifier: Apache-2.0
// The stock Node gRPC client asking the agent's health port
// (--health-server-address) with api/health/health.proto, as a Kubernetes
// grpc probe does:
//
//   node health.js TARGET check SERVICE        one Check: {"status":"SERVING"} or {"code":5,"details":...}
//   node health.js TARGET watch SERVICE N      the first N Watch messages, then cancel
//   node health.js TARGET other                FineGuidanceSensors/GetHealth on that port
//
// Prints one JSON object per line.
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const API = path.join(__dirname, '..', '..', 'api');
const opts = { includeDirs: [API], keepCase: true, longs: String, enums: String, defaults: true };
const health = grpc.loadPackageDefinition(protoLoader.loadSync('health/health.proto', opts)).grpc.health.v1;
const [target, mode, service, count] = process.argv.slice(2);
const deadline = () => ({ deadline: Date.now() + 10000 });
const out = (o) => console.log(JSON.stringify(o));
const client = new health.Health(target, grpc.credentials.createInsecure());

if (mode === 'check') {
	client.Check({ service }, deadline(), (err, resp) => {
		out(err ? { code: err.code, details: err.details } : { status: resp.status });
		client.close();
	});
} else if (mode === 'watch') {
	let left = Number(count);
	const call = client.Watch({ service });
	call.on('data', (m) => {
		out({ status: m.status });
		if (--left === 0) {
			call.cancel();
			client.close();
		}
	});
	call.on('error', (err) => {
		if (err.code !== grpc.status.CANCELLED)
			out({ code: err.code, details: err.details });
		client.close();
	});
} else if (mode === 'other') {
	const fgs = grpc.loadPackageDefinition(protoLoader.loadSync('tetragon/sensors.proto', opts)).tetragon;
	const c = new fgs.FineGuidanceSensors(target, grpc.credentials.createInsecure());
	c.GetHealth({}, deadline(), (err, resp) => {
		out(err ? { code: err.code, details: err.details } : { resp });
		c.close();
		client.close();
	});
}
