#!/usr/bin/env node
import '../dist/oz-install-cli.js';
