"""marshmallow schemas: all (de)serialisation and validation of SPOA's wire formats."""
