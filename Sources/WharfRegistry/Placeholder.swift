// Placeholder until the WharfRegistry issue work lands.
