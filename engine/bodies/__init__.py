"""Collegiate bodies (Ple, Junta de Govern Local, comissions informatives): members, sessions, the agenda
built from expedients' proposals, convocation, quorum, votes, minutes and certificates of agreement
(LBRL arts. 46-47; Ley 40/2015 arts. 15-18)."""
