"""Who needs access to what: the Dataverse components each desktop flow references."""
