"""The transparency portal (Llei 19/2014 arts. 8-15, Ley 19/2013 arts. 5-8): what a municipality
publishes actively, filled from GEE's own records where they exist and by staff otherwise."""
