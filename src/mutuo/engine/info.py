"""What the embedded engine says it is: the OpenSearch version whose behaviour it follows."""

VERSION = "3.8.0"
CLUSTER_NAME = "mutuo-embedded"
NODE_NAME = "embedded"
NODE_ID = "embedded-node-0"
