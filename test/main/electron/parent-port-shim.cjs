// Electron gives a utilityProcess `process.parentPort`; under plain Node (the smoke test forks the
// built services host with child_process.fork) the fork's IPC channel stands in for it, with the
// same shapes: 'message' listeners get { data, ports }, postMessage(value) sends a structured clone.
const { EventEmitter } = require('node:events');

const port = new EventEmitter();
port.postMessage = (message) => process.send(message);
port.start = () => {};
process.on('message', (data) => port.emit('message', { data, ports: [] }));
// A utility process dies with the app; here, with the test process.
process.on('disconnect', () => process.exit(0));
process.parentPort = port;
