// Placeholder until the WharfConfig issue work lands.
