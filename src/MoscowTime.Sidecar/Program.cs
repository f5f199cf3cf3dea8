// Placeholder until the sidecar issue lands.
return 0;
