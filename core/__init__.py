"""The floor every stage stands on: what harvest, transform, index, circulation and the portal share and
no stage owns. Imports no stage (nor the CLI package)."""
