"""A small search corpus for the contract suite. ILLUSTRATIVE records, written by hand: no public MARC
record coded sme/smj/sma/fkv exists (see ../shared/data/README.md), so titles use real words of those
languages but the records themselves are invented for the tests.
"""

from index.document import Document, Holding

TROMSO = Holding("tromso", "Tromsø", "public", items=2, available=1)
ALTA = Holding("alta", "Alta", "public", items=1, available=0)
KARASJOK = Holding("karasjok", "Kárášjohka", "public", items=1, available=1)
SKOLE = Holding("tromsdalen-skole", "Tromsø", "school", items=3, available=0)
VADSO = Holding("vadso", "Vadsø", "public", items=1, available=0)


def d(id, work, title, **kw) -> Document:
    kw.setdefault("source", kw.get("holdings", (TROMSO,))[0].library)
    kw.setdefault("holdings", (TROMSO,))
    return Document(id=id, work_id=work, title=title, **kw)


CORPUS = [
    # Sami: exact spelling vs folded spelling
    d("sme-1", "w-cahppes", "Čáhppes gáhppes", languages=("sme",), year=2015, contributors=("Ánte Mihkkal Gaup",),
      holdings=(KARASJOK,), audiences=("children",), formats=("book",), subjects={"humord": ("Reinsdrift",)}),
    d("sme-2", "w-cahppes-2", "Cahppes ja vielgat", languages=("nob",), year=2001, holdings=(TROMSO,),
      formats=("book",)),
    d("sme-3", "w-goahti", "Goahti ja ŋuolggat", subtitle="đuoddara ŧuolla", languages=("sme",), year=1999,
      holdings=(KARASJOK,), formats=("book",)),
    d("smj-1", "w-smj", "Julevsámegiella", languages=("smj",), year=2010, holdings=(TROMSO,), formats=("book",)),
    d("sma-1", "w-sma", "Åarjelsaemien gïele", languages=("sma",), year=2012, holdings=(ALTA,), formats=("book",)),
    d("smn-1", "w-smn", "Anarâškielâ", languages=("smn",), year=2011, holdings=(VADSO,), formats=("book",)),
    d("sms-1", "w-sms", "Sääʹmǩiõll", languages=("sms",), year=2014, holdings=(VADSO,), formats=("book",)),
    d("fkv-1", "w-fkv", "Kainun kieli ja kulttuuri", languages=("fkv", "fin"), year=2016, holdings=(VADSO,),
      formats=("book",), publishers=("Ruijan Kainun Instituutti",)),
    d("fit-1", "w-fit", "Meänkielen sanakirja", languages=("fit",), year=2005, holdings=(ALTA,), formats=("book",)),
    # Norwegian with stemming, æøå kept apart
    d("nob-1", "w-fortelling", "Fortellinger fra nord", languages=("nob",), year=2018, formats=("book",),
      holdings=(TROMSO, ALTA), audiences=("adult",), series=("Nordnorsk bibliotek",)),
    d("nob-2", "w-sma-skritt", "Små skritt", languages=("nob",), year=2020, formats=("book",), holdings=(ALTA,),
      audiences=("children",)),
    d("nob-3", "w-sma-ord", "Sma ord", languages=("nob",), year=1995, formats=("book",), holdings=(ALTA,)),
    d("nob-4", "w-blabaer", "Blåbærtur", languages=("nob",), year=2008, formats=("book",), holdings=(TROMSO,)),
    # One work, three editions in three libraries, and a translation kept separately
    d("sult-1", "w-sult", "Sult", contributors=("Hamsun, Knut",), languages=("nob",), year=1890,
      formats=("book",), holdings=(TROMSO,), isbns=("8205123458",)),
    d("sult-2", "w-sult", "Sult", contributors=("Hamsun, Knut",), languages=("nob",), year=1990,
      formats=("book",), holdings=(ALTA,), isbns=("978-82-05-30541-7",), work_libraries=3),
    d("sult-3", "w-sult", "Sult", subtitle="roman", contributors=("Hamsun, Knut",), languages=("nob",),
      year=2009, formats=("audiobook",), holdings=(SKOLE,), work_libraries=3),
    d("sult-fi", "w-sult-fi", "Nälkä", contributors=("Hamsun, Knut",), languages=("fin",),
      title_variants=("Sult",), year=1970, formats=("book",), holdings=(VADSO,)),
    # Popularity: same text, one work held widely
    d("nord-1", "w-nordlys-pop", "Nordlys over havet", languages=("nob",), year=2000, formats=("book",),
      holdings=(TROMSO, ALTA, KARASJOK, VADSO), work_libraries=4),
    d("nord-2", "w-nordlys-rare", "Nordlys over havet", languages=("nob",), year=2000, formats=("book",),
      holdings=(VADSO,), work_libraries=1),
    # Finnish and Russian
    d("fin-1", "w-kirjat", "Kirjat ja lukeminen", languages=("fin",), year=2019, formats=("book",),
      holdings=(VADSO,)),
    d("rus-1", "w-jolka", "Ёлка в лесу", languages=("rus",), year=1985, formats=("book",), holdings=(VADSO,)),
    d("eng-1", "w-whales", "Whales of the Arctic", languages=("eng",), year=2021, formats=("ebook",),
      holdings=(TROMSO,), subjects={"lcsh": ("Whales",)}, audiences=("young_adult",)),
]

#: Many Norwegian books pushing the minority languages below a facet's top-N cut.
FILLER = [d(f"fill-{n}", f"w-fill-{n}", f"Bygdebok bind {n}", languages=("nob",), year=1950 + n,
            formats=("book",), holdings=(TROMSO,)) for n in range(8)]

ALL = CORPUS + FILLER

CORPUS.append(d("sult-x", "w-sult-x", "Sult og metthet i nord", languages=("nob",), year=2023,
                formats=("book",), holdings=(TROMSO, ALTA, KARASJOK), work_libraries=10))
ALL = CORPUS + FILLER

#: A document as the pipeline builds it: public id `{source}-{record_id}`, harvest identifier kept.
CORPUS.append(d("tromso-77", "w-gamle-dager", "Tromsø i gamle dager", languages=("nob",), year=1975,
                formats=("book",), holdings=(TROMSO,), identifier="oai:tromso:77"))
ALL = CORPUS + FILLER

#: Editions whose text is the same, so their scores tie wherever their static rank (libraries holding
#: the work, year) does: which edition heads a work and how tied hits are ordered is the projection's
#: rule (index.fields.edition_order), never the engine's. Kept apart from ALL (its own index).
NORDLYSETS_BY = "Nordlysets by"
TIES = [
    # one work in three libraries: the newest edition scores highest, but the edition two libraries
    # hold heads the work (more libraries first)
    d("by-1", "w-by", NORDLYSETS_BY, languages=("nob",), year=2012, formats=("book",), holdings=(TROMSO,),
      work_libraries=3),
    d("by-2", "w-by", NORDLYSETS_BY, languages=("nob",), year=2012, formats=("book",), holdings=(ALTA, VADSO),
      work_libraries=3),
    d("by-3", "w-by", NORDLYSETS_BY, languages=("nob",), year=2019, formats=("book",), holdings=(KARASJOK,),
      work_libraries=3),
    # three one-edition works tied on score (same libraries and year): newest, then id decide nothing,
    # the edition's libraries do, then the id
    d("by-b", "w-by-b", NORDLYSETS_BY, languages=("nob",), year=2015, formats=("book",), holdings=(TROMSO,),
      work_libraries=2),
    d("by-a", "w-by-a", NORDLYSETS_BY, languages=("nob",), year=2015, formats=("book",), holdings=(ALTA,),
      work_libraries=2),
    d("by-c", "w-by-c", NORDLYSETS_BY, languages=("nob",), year=2015, formats=("book",), holdings=(ALTA, TROMSO),
      work_libraries=2),
]
