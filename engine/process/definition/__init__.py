"""Process definitions: deploying and validating BPMN models, their specs and the catalogue of versions."""
