#!/usr/bin/env node
import { reportStartFailure, startServer } from './start-server.js';

/** `npm start`: the same start-up as `tessera serve`, shared so the two cannot drift. */
startServer().catch(reportStartFailure);
