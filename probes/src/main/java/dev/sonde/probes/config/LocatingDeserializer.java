package dev.sonde.probes.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import java.io.IOException;

/** Wraps the bean deserializer of every {@link Located} class to record the location of its opening token. */
final class LocatingDeserializer extends DelegatingDeserializer {
    private static final long serialVersionUID = 1L;

    LocatingDeserializer(JsonDeserializer<?> delegatee) {
        super(delegatee);
    }

    @Override
    protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> newDelegatee) {
        return new LocatingDeserializer(newDelegatee);
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        JsonLocation loc = p.currentTokenLocation();
        Object o = super.deserialize(p, ctxt);
        if (o instanceof Located) {
            ((Located) o).at(loc.getLineNr(), loc.getColumnNr());
        }
        return o;
    }

    static final class Modifier extends BeanDeserializerModifier {
        private static final long serialVersionUID = 1L;

        @Override
        public JsonDeserializer<?> modifyDeserializer(DeserializationConfig config, BeanDescription desc,
                JsonDeserializer<?> deserializer) {
            return Located.class.isAssignableFrom(desc.getBeanClass()) ? new LocatingDeserializer(deserializer) : deserializer;
        }
    }
}
