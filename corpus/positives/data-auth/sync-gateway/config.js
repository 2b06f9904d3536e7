'use strict';

const nano = require('nano');

module.exports = {
  port: Number(process.env.PORT || 3000),
  couch: nano('https://replicator:ZiiyH8CEt~XfLwgLL@couch-01.internal:6984'),
  databases: ['devices', 'telemetry', 'settings'],
  changesBatch: 500,
};
