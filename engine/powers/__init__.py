"""The electronic register of powers (registre electrònic d'apoderaments, Ley 39/2015 arts. 5-6)."""
